"""Answer only the hotspot's own clients: the gateway must never be an open resolver.

Queries from anywhere else (the WAN side) get no answer at all: silence gives an amplification
attacker nothing to reflect.
"""

from __future__ import annotations

import netaddr

from gateway.dns.model import DnsRequest, DnsResponse, Outcome
from gateway.dns.resolver import ChainedResolver, Resolver

LOOPBACK = ("127.0.0.0/8", "::1/128")


class ClientAccessResolver(ChainedResolver):
    """Drops queries from outside the client subnet (loopback is always allowed)."""

    def __init__(self, next_resolver: Resolver, client_networks: tuple[str, ...]) -> None:
        super().__init__(next_resolver)
        self.allowed = netaddr.IPSet((*client_networks, *LOOPBACK))
        # netaddr's set test costs microseconds; a hotspot has a few hundred addresses at most.
        self._verdicts: dict[str, bool] = {}

    def is_client(self, address: str) -> bool:
        """Whether `address` may use the resolver (memoised, bounded)."""
        verdict = self._verdicts.get(address)
        if verdict is None:
            if len(self._verdicts) > 65_536:
                self._verdicts.clear()
            verdict = self._verdicts[address] = address in self.allowed
        return verdict

    async def resolve(self, request: DnsRequest) -> DnsResponse:
        """Pass a client's query on; drop anyone else's."""
        if not self.is_client(request.client):
            return DnsResponse(request.message, Outcome.DROPPED, "not a hotspot client")
        return await self.next.resolve(request)
