"""Blocks listed names for every query type, HTTPS and SVCB included."""

from __future__ import annotations

from filters.engine import BlocklistEngine
from gateway.dns.answers import blocked_reply
from gateway.dns.counters import DnsCounters
from gateway.dns.model import DnsRequest, DnsResponse, Outcome
from gateway.dns.resolver import ChainedResolver, Resolver


class BlockingResolver(ChainedResolver):
    """Asks the blocklist engine; a blocked name is answered here and never sent upstream."""

    def __init__(
        self,
        next_resolver: Resolver,
        engine: BlocklistEngine,
        mode: str,
        lan_address: str,
        counters: DnsCounters,
    ) -> None:
        super().__init__(next_resolver)
        self.engine = engine
        self.mode = mode
        self.lan_address = lan_address
        self.counters = counters

    async def resolve(self, request: DnsRequest) -> DnsResponse:
        """Block by the engine's verdict, or pass the request on."""
        verdict = self.engine.lookup(request.qname)
        if not verdict.blocked:
            return await self.next.resolve(request)
        category = verdict.category or "blocked"
        self.counters.blocked[category] += 1
        reply = blocked_reply(
            request.message, self.mode, self.lan_address, category, verdict.listed or request.qname
        )
        reason = f"blocked: {category} ({verdict.source})"
        return DnsResponse(reply, Outcome.BLOCKED, reason, category)
