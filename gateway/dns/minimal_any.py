"""ANY queries get the minimal answer of RFC 8482 instead of everything we could find.

ANY is a favourite of amplification attacks and no browser needs it; one synthesised HINFO
record says "ANY is not answered here" without asking any upstream.
"""

from __future__ import annotations

from dnslib import QTYPE, RD, RR

from gateway.dns.answers import reply_with
from gateway.dns.model import DnsRequest, DnsResponse, Outcome
from gateway.dns.resolver import ChainedResolver

ANY_TTL = 3600
# HINFO rdata: two character-strings, CPU "RFC8482" and an empty OS (dnslib has no HINFO type).
HINFO_RFC8482 = RD(b"\x07RFC8482\x00")


class MinimalAnyResolver(ChainedResolver):
    """Answers qtype ANY with HINFO "RFC8482"; passes every other query on."""

    async def resolve(self, request: DnsRequest) -> DnsResponse:
        """One HINFO record for ANY; the next resolver for the rest."""
        q = request.message.q
        if q.qtype != QTYPE.ANY:
            return await self.next.resolve(request)
        reply = reply_with(request.message)
        reply.add_answer(RR(q.qname, QTYPE.HINFO, rdata=HINFO_RFC8482, ttl=ANY_TTL))
        return DnsResponse(reply, Outcome.SPECIAL, "RFC 8482 minimal ANY")
