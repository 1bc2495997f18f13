"""Replies the gateway writes itself: blocked answers (with Extended DNS Error 15), errors."""

from __future__ import annotations

from dnslib import EDNS0, QTYPE, RCODE, RR, SOA, A, DNSRecord

from gateway.dns.blocked_wire import BLOCKED_TTL, EDNS_PAYLOAD, blocked_wire
from gateway.dns.wire import parse_simple_query

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
    """The blocked answer for a query the Front could not take (see blocked_wire)."""
    alone = bytes(DNSRecord(q=query.q).pack())  # the question behind a plain header
    plain = parse_simple_query(alone)
    wire = blocked_wire(query.header.id, bool(query.header.rd), alone[12:], query.q.qtype,
                        wants_edns(query), mode, lan_address, category, listed,
                        plain.name if plain else None)  # fmt: skip
    return DNSRecord.parse(wire)


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
