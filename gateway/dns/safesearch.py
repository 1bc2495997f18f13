"""SafeSearch: search and video names answer with their provider's safe endpoint.

www.google.com becomes a CNAME to forcesafesearch.google.com plus that name's addresses, so
every phone gets filtered search results without any setting on the phone (the mapping ships in
blocklists/safesearch.toml).
"""

from __future__ import annotations

from dnslib import CNAME, QTYPE, RR, DNSHeader, DNSQuestion, DNSRecord

from gateway.dns.answers import reply_with
from gateway.dns.model import DnsRequest, DnsResponse
from gateway.dns.resolver import ChainedResolver, Resolver

CNAME_TTL = 300


class SafeSearchResolver(ChainedResolver):
    """Rewrites mapped names to a CNAME and resolves the safe endpoint through the next link."""

    def __init__(self, next_resolver: Resolver, mapping: dict[str, str]) -> None:
        super().__init__(next_resolver)
        self.mapping = mapping

    async def resolve(self, request: DnsRequest) -> DnsResponse:
        """Answer a mapped name with CNAME + the endpoint's records; pass the rest on."""
        target = self.mapping.get(request.qname)
        if target is None:
            return await self.next.resolve(request)
        q = request.message.q
        inner = DNSRecord(DNSHeader(id=request.message.header.id, rd=1),
                          q=DNSQuestion(target, q.qtype, q.qclass))  # fmt: skip
        resolved = await self.next.resolve(DnsRequest(request.client, request.transport, inner))
        reply = reply_with(request.message, resolved.message.header.rcode)
        reply.add_answer(RR(q.qname, QTYPE.CNAME, rdata=CNAME(target + "."), ttl=CNAME_TTL))
        for rr in resolved.message.rr:
            reply.add_answer(rr)
        return DnsResponse(reply, resolved.outcome, f"safesearch: {target}")
