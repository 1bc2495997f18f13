"""Per-client token-bucket rate limit: beyond `[dns].rate_limit` queries a second, REFUSED.

A phone stuck in a retry loop, or a scanner on the hotspot, then costs a dictionary lookup per
query instead of upstream traffic for everyone.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from dnslib import RCODE

from gateway.dns.answers import error_reply
from gateway.dns.model import DnsRequest, DnsResponse, Outcome
from gateway.dns.networks import NetworkSet
from gateway.dns.resolver import ChainedResolver, Resolver

BURST_SECONDS = 2.0  # a client may save up this many seconds of queries (page loads burst)
FORGET_AFTER = 60.0  # buckets idle this long are dropped, so memory follows active clients


class TokenBuckets:
    """One bucket per client address; pure apart from the injected clock."""

    def __init__(self, rate: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate = rate
        self.capacity = rate * BURST_SECONDS
        self.clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}  # client -> (tokens, when)
        self._last_sweep = clock()

    def allow(self, client: str) -> bool:
        """Take one token for `client`; False when its bucket is empty."""
        now = self.clock()
        tokens, when = self._buckets.get(client, (self.capacity, now))
        tokens = min(self.capacity, tokens + (now - when) * self.rate)
        allowed = tokens >= 1.0
        self._buckets[client] = (tokens - 1.0 if allowed else tokens, now)
        if now - self._last_sweep > FORGET_AFTER:
            self._sweep(now)
        return allowed

    def _sweep(self, now: float) -> None:
        self._last_sweep = now
        for client in [c for c, (_, when) in self._buckets.items() if now - when > FORGET_AFTER]:
            del self._buckets[client]

    def __len__(self) -> int:
        return len(self._buckets)


class RateLimitResolver(ChainedResolver):
    """REFUSED beyond the rate; exempt networks (the gateway itself, staff) are never limited."""

    def __init__(
        self,
        next_resolver: Resolver,
        rate: int,
        exempt: tuple[str, ...] = (),
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(next_resolver)
        self.buckets = TokenBuckets(rate, clock) if rate > 0 else None
        self.exempt = NetworkSet(exempt)

    async def resolve(self, request: DnsRequest) -> DnsResponse:
        """Refuse a client over its rate; pass everything else on."""
        if self.buckets is None or request.client in self.exempt:
            return await self.next.resolve(request)
        if not self.buckets.allow(request.client):
            reply = error_reply(request.message, RCODE.REFUSED)
            return DnsResponse(reply, Outcome.REFUSED, "rate limited")
        return await self.next.resolve(request)
