"""The C reply table behind the wire cache: least recently used goes first, IDs and TTLs are
rewritten per query, bad input is refused, and no bytes make it crash."""

from __future__ import annotations

from collections import OrderedDict

import dns.message
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.dns._reply_table import ReplyTable
from gateway.dns.wire import parse_simple_query, ttl_offsets
from tests.gateway.dns.test_wire import query_bytes, upstream_reply

NAMES = [f"n{n}.example.test" for n in range(5)]


def store(table: ReplyTable, name: str, now: float = 0.0, ttl: int | None = 60) -> bytes:
    """Store the reply to an A query for `name` (with EDNS); returns the stored reply."""
    wire = query_bytes(name)
    plain = parse_simple_query(wire)
    assert plain is not None
    reply = upstream_reply(wire, ttl=60)
    offsets = ttl_offsets(reply)
    assert offsets is not None
    table.store(plain.question, plain.has_opt, reply, offsets, now, ttl, "resolved", None)
    return reply


def test_the_least_recently_used_reply_goes_first() -> None:
    table = ReplyTable(2)
    store(table, NAMES[0])
    store(table, NAMES[1])
    assert table.lookup(query_bytes(NAMES[0]), 1.0) is not None  # now the most recent
    store(table, NAMES[2])
    assert len(table) == 2
    assert table.lookup(query_bytes(NAMES[1]), 1.0) is None
    assert table.lookup(query_bytes(NAMES[0]), 1.0) is not None
    assert table.lookup(query_bytes(NAMES[2]), 1.0) is not None


def test_a_reply_comes_back_under_the_new_id_with_its_ttl_aged() -> None:
    table = ReplyTable(10)
    store(table, NAMES[0], now=100.0)
    query = query_bytes(NAMES[0])
    found = table.lookup(query, 125.5)
    assert found is not None
    reply = dns.message.from_wire(found[0])
    assert reply.id == dns.message.from_wire(query).id
    assert reply.answer[0].ttl == 34  # 60 - 25.5, truncated as int() does
    assert found[1:] == ("resolved", None)
    assert table.lookup(query, 160.0) is None and len(table) == 0  # expired and dropped


def test_own_answers_keep_their_ttl_until_cleared() -> None:
    table = ReplyTable(10)
    stored = store(table, NAMES[0], ttl=None)
    found = table.lookup(query_bytes(NAMES[0]), 1e9)
    assert found is not None and found[0][2:] == stored[2:]
    table.clear()
    assert table.lookup(query_bytes(NAMES[0]), 0.0) is None and len(table) == 0


def test_queries_with_and_without_edns_are_answered_separately() -> None:
    table = ReplyTable(10)
    store(table, NAMES[0])
    assert table.lookup(query_bytes(NAMES[0], edns=False), 1.0) is None
    assert table.lookup(query_bytes(NAMES[0]), 1.0) is not None


def test_storing_a_question_again_replaces_its_reply() -> None:
    table = ReplyTable(10)
    store(table, NAMES[0], ttl=10)
    store(table, NAMES[0], ttl=500)
    assert len(table) == 1
    found = table.lookup(query_bytes(NAMES[0]), 100.0)
    assert found is not None and dns.message.from_wire(found[0]).answer[0].ttl == 400


@pytest.mark.parametrize(
    ("offsets", "ttl", "problem"),
    [((4,), 60, "outside the reply"), ((10_000,), 60, "outside the reply"),
     ((12,) * 65, 60, "too many records"), ((12,), -1, "must not be negative")],
)  # fmt: skip
def test_bad_entries_are_refused_with_the_reason(
    offsets: tuple[int, ...], ttl: int, problem: str
) -> None:
    table = ReplyTable(10)
    reply = upstream_reply(query_bytes(NAMES[0]))
    with pytest.raises(ValueError, match=problem):
        table.store(b"\x00\x00\x01\x00\x01", True, reply, offsets, 0.0, ttl, "resolved", None)
    assert len(table) == 0


@settings(max_examples=300, derandomize=True)
@given(st.lists(st.tuples(st.sampled_from(["store", "lookup"]), st.integers(0, 4)), max_size=40))
def test_the_table_keeps_what_a_reference_lru_keeps(steps: list[tuple[str, int]]) -> None:
    table, model = ReplyTable(3), OrderedDict[str, None]()
    for action, n in steps:
        name = NAMES[n]
        if action == "store":
            store(table, name)
            model[name] = None
            model.move_to_end(name)
            while len(model) > 3:
                model.popitem(last=False)
        else:
            found = table.lookup(query_bytes(name), 1.0)
            assert (found is not None) == (name in model)
            if name in model:
                model.move_to_end(name)
    assert len(table) == len(model)


def _altered(wire: bytes) -> st.SearchStrategy[bytes]:
    """The query with one byte changed, or cut short, or lengthened."""
    at = st.integers(0, len(wire) - 1)
    return st.one_of(
        st.tuples(at, st.integers(0, 255)).map(
            lambda c: wire[: c[0]] + bytes([c[1]]) + wire[c[0] + 1 :]
        ),
        at.map(lambda n: wire[:n]),
        st.binary(min_size=1, max_size=8).map(lambda extra: wire + extra),
    )


@settings(max_examples=3000, derandomize=True)
@given(st.one_of(st.binary(max_size=300), _altered(b"\x12\x34" + query_bytes(NAMES[0])[2:])))
def test_any_bytes_are_answered_only_when_their_question_is_stored(wire: bytes) -> None:
    table = ReplyTable(10)
    store(table, NAMES[0])
    found = table.lookup(wire, 1.0)
    plain = parse_simple_query(wire)
    stored = parse_simple_query(query_bytes(NAMES[0]))
    assert stored is not None
    expected = plain is not None and (plain.question, plain.has_opt) == (
        stored.question, stored.has_opt)  # fmt: skip
    assert (found is not None) == expected
