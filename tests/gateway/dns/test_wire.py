"""Wire-level fast path: plain-query parsing, the wire cache, and replies built from bytes."""

from __future__ import annotations

import dns.message
import dns.rcode
from dnslib import EDNS0, QTYPE, RR, A, DNSRecord

from gateway.dns.front import Admit, Front
from gateway.dns.wire import parse_simple_query, refused, ttl_offsets
from gateway.dns.wire_cache import WireCache


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def query_bytes(name: str = "www.example.test", edns: bool = True) -> bytes:
    message = dns.message.make_query(name, "A", use_edns=0 if edns else False)
    return message.to_wire()


def upstream_reply(wire: bytes, ttl: int = 60) -> bytes:
    query = DNSRecord.parse(wire)
    reply = query.reply()
    reply.add_answer(RR(query.q.qname, QTYPE.A, rdata=A("192.0.2.1"), ttl=ttl))
    reply.add_ar(EDNS0(udp_len=1232))
    return bytes(reply.pack())


def test_plain_queries_parse_and_others_are_left_to_the_full_path() -> None:
    plain = parse_simple_query(query_bytes())
    assert plain is not None and plain.has_opt
    assert plain.question.endswith(b"\x00\x00\x01\x00\x01")
    assert parse_simple_query(query_bytes(edns=False)).has_opt is False  # type: ignore[union-attr]
    two = DNSRecord.question("a.test")
    two.add_question(DNSRecord.question("b.test").q)
    for wire in (
        bytes(two.pack()),  # two questions
        bytes(DNSRecord.question("a.test").reply().pack()),  # a response, not a query
        query_bytes()[:20],  # cut short
        b"\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\xc0\x0c\x00\x01\x00\x01",  # pointer
    ):
        assert parse_simple_query(wire) is None


def test_refused_is_a_valid_reply_with_edns_when_asked() -> None:
    wire = query_bytes()
    reply = dns.message.from_wire(refused(parse_simple_query(wire)))  # type: ignore[arg-type]
    assert reply.rcode() == dns.rcode.REFUSED and reply.edns == 0
    assert reply.id == dns.message.from_wire(wire).id


def test_ttl_offsets_skip_the_opt_record() -> None:
    reply = upstream_reply(query_bytes(), ttl=77)
    (offset,) = ttl_offsets(reply)  # type: ignore[misc]
    assert reply[offset : offset + 4] == (77).to_bytes(4, "big")


def test_wire_cache_ages_upstream_answers_and_expires_them() -> None:
    clock = FakeClock()
    front = Front(("10.77.0.0/24",), cache=WireCache(clock))
    first = query_bytes()
    admission = front.admit(first, "10.77.0.5")
    assert admission.admit is Admit.PASS
    front.remember(admission, upstream_reply(first), "resolved", None)
    clock.now += 20
    again = query_bytes()  # same question, new ID
    hit = front.admit(again, "10.77.0.6")
    assert hit.admit is Admit.ANSWERED and hit.hit is not None
    reply = dns.message.from_wire(hit.hit.wire)
    assert reply.id == dns.message.from_wire(again).id
    assert reply.answer[0].ttl == 40 and reply.answer[0][0].address == "192.0.2.1"
    clock.now += 41
    assert front.admit(query_bytes(), "10.77.0.5").admit is Admit.PASS  # expired


def test_own_answers_last_until_the_lists_change() -> None:
    generation = [1]
    front = Front(("10.77.0.0/24",), generation=lambda: generation[0], cache=WireCache())
    wire = query_bytes("judi.test")
    admission = front.admit(wire, "10.77.0.5")
    front.remember(admission, upstream_reply(wire, ttl=300), "blocked", "gambling")
    hit = front.admit(query_bytes("judi.test"), "10.77.0.5")
    assert hit.admit is Admit.ANSWERED and hit.hit.category == "gambling"  # type: ignore[union-attr]
    generation[0] += 1  # a new snapshot or a staff edit
    assert front.admit(query_bytes("judi.test"), "10.77.0.5").admit is Admit.PASS


def test_errors_truncated_and_stale_replies_are_not_kept() -> None:
    front = Front(("10.77.0.0/24",), cache=WireCache())
    wire = query_bytes()
    query = front.admit(wire, "10.77.0.5")
    servfail = DNSRecord.parse(wire).reply()
    servfail.header.rcode = 2
    front.remember(query, bytes(servfail.pack()), "servfail", None)
    truncated = DNSRecord.parse(wire).reply()
    truncated.header.tc = 1
    front.remember(query, bytes(truncated.pack()), "resolved", None)
    front.remember(query, upstream_reply(wire), "stale", None)
    assert front.admit(query_bytes(), "10.77.0.5").admit is Admit.PASS


def test_an_answer_from_lists_that_changed_meanwhile_is_not_kept() -> None:
    generation = [1]
    front = Front(("10.77.0.0/24",), generation=lambda: generation[0], cache=WireCache())
    wire = query_bytes("judi.test")
    admission = front.admit(wire, "10.77.0.5")
    generation[0] += 1  # a reload lands while the chain is still answering
    front.remember(admission, upstream_reply(wire, ttl=300), "blocked", "gambling")
    assert front.admit(query_bytes("judi.test"), "10.77.0.5").admit is Admit.PASS
