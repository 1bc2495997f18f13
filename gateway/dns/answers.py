"""Replies the gateway writes itself: blocked answers (with Extended DNS Error 15), errors."""

from __future__ import annotations

from dnslib import AAAA, EDNS0, QTYPE, RCODE, RR, SOA, A, DNSRecord, EDNSOption

BLOCKED_TTL = 300  # how long phones may cache a blocked answer
EDE_OPTION = 15  # RFC 8914 option code
EDE_BLOCKED = 15  # RFC 8914 info-code "Blocked"
EDNS_PAYLOAD = 1232  # the DNS flag day 2020 size: no fragmentation on any path
SOA_RECORD = SOA(
    mname="hotspot-gateway.invalid.",
    rname="hostmaster.hotspot-gateway.invalid.",
    times=(1, 3600, 600, 86400, BLOCKED_TTL),
)


def wants_edns(query: DNSRecord) -> bool:
    """RFC 6891: a responder adds an OPT record only if the query had one."""
    return any(rr.rtype == QTYPE.OPT for rr in query.ar)


def reply_with(query: DNSRecord, rcode: int = RCODE.NOERROR) -> DNSRecord:
    """An empty reply to `query` with recursion available, the given rcode, EDNS if asked."""
    reply = query.reply(ra=1)
    reply.header.rcode = rcode
    if wants_edns(query):
        reply.add_ar(EDNS0(udp_len=EDNS_PAYLOAD))
    return reply


def error_reply(query: DNSRecord, rcode: int) -> DNSRecord:
    """REFUSED, SERVFAIL, FORMERR and the like."""
    return reply_with(query, rcode)


def _add_soa(reply: DNSRecord, zone: str) -> None:
    # RFC 2308: the SOA in the authority section lets the client cache the negative answer.
    reply.add_auth(RR(zone, QTYPE.SOA, rdata=SOA_RECORD, ttl=BLOCKED_TTL))


def blocked_reply(
    query: DNSRecord, mode: str, lan_address: str, category: str, listed: str
) -> DNSRecord:
    """The answer for a blocked name by `[dns].blocked_answer`, with EDE 15 naming the category.

    blockpage: A points at the gateway's block page, AAAA and other types have no data (so
    the phone uses IPv4 and lands on the page); nxdomain: the name does not exist; null:
    0.0.0.0 and ::.
    """
    qtype = query.q.qtype
    qname = query.q.qname
    reply = query.reply(ra=1)
    if mode == "nxdomain":
        reply.header.rcode = RCODE.NXDOMAIN
        _add_soa(reply, listed)
    elif mode == "blockpage" and qtype == QTYPE.A:
        reply.add_answer(RR(qname, QTYPE.A, rdata=A(lan_address), ttl=BLOCKED_TTL))
    elif mode == "null" and qtype == QTYPE.A:
        reply.add_answer(RR(qname, QTYPE.A, rdata=A("0.0.0.0"), ttl=BLOCKED_TTL))
    elif mode == "null" and qtype == QTYPE.AAAA:
        reply.add_answer(RR(qname, QTYPE.AAAA, rdata=AAAA("::"), ttl=BLOCKED_TTL))
    else:
        _add_soa(reply, listed)  # no data for this type (HTTPS, SVCB, AAAA in blockpage mode)
    if wants_edns(query):
        text = f"blocked: {category}".encode()
        ede = EDNSOption(EDE_OPTION, EDE_BLOCKED.to_bytes(2, "big") + text)
        reply.add_ar(EDNS0(udp_len=EDNS_PAYLOAD, opts=[ede]))
    return reply


def local_reply(query: DNSRecord, address: str | None) -> DNSRecord:
    """A name the gateway answers itself: its address for A, or NXDOMAIN for None.

    Other query types for an answered name get no data.
    """
    if address is None:
        reply = reply_with(query, RCODE.NXDOMAIN)
        _add_soa(reply, str(query.q.qname))
        return reply
    reply = reply_with(query)
    if query.q.qtype == QTYPE.A:
        reply.add_answer(RR(query.q.qname, QTYPE.A, rdata=A(address), ttl=BLOCKED_TTL))
    return reply
