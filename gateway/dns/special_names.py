"""Names the gateway answers itself, before any list: they keep filtering from being stepped around.

- use-application-dns.net: NXDOMAIN tells Firefox not to turn on DNS over HTTPS by itself.
- mask.icloud.com, mask-h2.icloud.com: NXDOMAIN turns off iCloud Private Relay, which would
  hide every name from the resolver and the proxy.
- the portal's own names answer the gateway's LAN address.
"""

from __future__ import annotations

from gateway.dns.answers import local_reply
from gateway.dns.model import DnsRequest, DnsResponse, Outcome
from gateway.dns.resolver import ChainedResolver, Resolver

CANARY_NAMES = frozenset({"use-application-dns.net", "mask.icloud.com", "mask-h2.icloud.com"})


class SpecialNamesResolver(ChainedResolver):
    """Answers the canary names with NXDOMAIN and the portal's names with the LAN address."""

    def __init__(
        self, next_resolver: Resolver, lan_address: str, portal_names: tuple[str, ...] = ()
    ) -> None:
        super().__init__(next_resolver)
        self.lan_address = lan_address
        self.portal_names = frozenset(n.lower().rstrip(".") for n in portal_names)

    async def resolve(self, request: DnsRequest) -> DnsResponse:
        """Answer a special name here; pass anything else on."""
        qname = request.qname
        if qname in CANARY_NAMES:
            reply = local_reply(request.message, None)
            return DnsResponse(reply, Outcome.SPECIAL, f"special: {qname} disabled")
        if qname in self.portal_names:
            reply = local_reply(request.message, self.lan_address)
            return DnsResponse(reply, Outcome.SPECIAL, "special: portal")
        return await self.next.resolve(request)
