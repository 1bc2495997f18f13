"""The C plain-query parser agrees with dnspython on every query it accepts, and never crashes."""

from __future__ import annotations

import dns.flags
import dns.message
import dns.name
import dns.rdatatype
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.dns.wire import parse_simple_query

LABEL = st.binary(min_size=1, max_size=63)
NAMES = st.lists(LABEL, min_size=0, max_size=8).filter(lambda ls: sum(len(x) + 1 for x in ls) < 255)


@settings(max_examples=2000, derandomize=True)
@given(labels=NAMES, qid=st.integers(0, 65535), edns=st.booleans(), rd=st.booleans(),
       rdtype=st.sampled_from(["A", "AAAA", "HTTPS", "ANY", "TXT"]))  # fmt: skip
def test_plain_queries_parse_like_dnspython(
    labels: list[bytes], qid: int, edns: bool, rd: bool, rdtype: str
) -> None:
    name = dns.name.Name([*labels, b""])
    query = dns.message.make_query(name, rdtype, use_edns=0 if edns else False, id=qid)
    if not rd:
        query.flags &= ~dns.flags.RD
    wire = query.to_wire()
    plain = parse_simple_query(wire)
    assert plain is not None
    assert (plain.qid, plain.has_opt, bool(plain.flags & 0x0100)) == (qid, edns, rd)
    back = dns.message.from_wire(b"\x00" * 4 + b"\x00\x01" + b"\x00" * 6 + plain.question)
    assert back.question[0].name == name
    assert back.question[0].rdtype == dns.rdatatype.from_text(rdtype)
    if all(b < 0x80 for label in labels for b in label):
        assert plain.name == b".".join(labels).decode("ascii").lower()
    else:
        assert plain.name is None


@settings(max_examples=5000, derandomize=True)
@given(st.binary(max_size=600))
def test_any_bytes_give_a_query_or_none(wire: bytes) -> None:
    plain = parse_simple_query(wire)
    if plain is not None:  # then dnspython reads it as a one-question query as well
        message = dns.message.from_wire(wire)
        assert len(message.question) == 1 and message.id == plain.qid


def test_a_name_over_255_bytes_is_not_plain() -> None:
    labels = [b"a" * 63] * 4  # 4 * 64 + 1 = 257 bytes in wire form
    header = b"\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00"
    wire = header + b"".join(bytes([len(x)]) + x for x in labels) + b"\x00\x00\x01\x00\x01"
    assert parse_simple_query(wire) is None
