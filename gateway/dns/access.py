"""Answer only the hotspot's own clients: the gateway must never be an open resolver.

Queries from anywhere else (the WAN side) get no answer at all: silence gives an amplification
attacker nothing to reflect.
"""

from __future__ import annotations

from gateway.dns.model import DnsRequest, DnsResponse, Outcome
from gateway.dns.networks import NetworkSet
from gateway.dns.resolver import ChainedResolver, Resolver

LOOPBACK = ("127.0.0.0/8", "::1/128")


class ClientAccessResolver(ChainedResolver):
    """Drops queries from outside the client subnet (loopback is always allowed)."""

    def __init__(self, next_resolver: Resolver, client_networks: tuple[str, ...]) -> None:
        super().__init__(next_resolver)
        self.allowed = NetworkSet((*client_networks, *LOOPBACK))

    async def resolve(self, request: DnsRequest) -> DnsResponse:
        """Pass a client's query on; drop anyone else's."""
        if request.client not in self.allowed:
            return DnsResponse(request.message, Outcome.DROPPED, "not a hotspot client")
        return await self.next.resolve(request)
