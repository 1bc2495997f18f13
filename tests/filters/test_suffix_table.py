"""The C SuffixTable: every listed suffix of a name is found in one pass, and nothing else."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from filters.names import name_key
from filters.suffix_table import SuffixTable, build_table


def table_of(names: dict[str, int]) -> SuffixTable:
    table, values = build_table(((name_key(n), v) for n, v in names.items()), len(names))
    return SuffixTable(bytes(table), bytes(values))


def test_match_finds_every_listed_suffix_with_its_key_length_and_value() -> None:
    table = table_of({"example.com": 5, "com": 7, "a.b.example.com": 9})
    assert table.match("x.a.b.example.com") == [(4, 7), (12, 5), (16, 9)]
    assert table.match("example.com") == [(4, 7), (12, 5)]
    assert table.match("net") is None


def test_match_ignores_case_and_one_trailing_dot() -> None:
    table = table_of({"example.com": 1})
    assert table.match("WWW.Example.COM.") == table.match("www.example.com") == [(12, 1)]


def test_match_respects_label_boundaries() -> None:
    table = table_of({"example.com": 1})
    for name in ("notexample.com", "example.co", "example.com.evil", "xexample.com", ""):
        assert table.match(name) is None, name


def test_get_finds_exact_keys_only() -> None:
    table = table_of({"example.com": 3})
    assert table.get(name_key("example.com")) == 3
    assert table.get(name_key("a.example.com")) is None


def test_bad_use_is_an_error_not_a_crash() -> None:
    table = table_of({"example.com": 3})
    with pytest.raises(TypeError, match="ASCII"):
        table.match("bücher.example")
    with pytest.raises(TypeError, match="read-only"):
        table.insert("moc.", 1)
    with pytest.raises(ValueError, match="8n bytes"):
        SuffixTable(b"123", b"1")
    writable = SuffixTable(bytearray(16), bytearray(4), writable=True)
    with pytest.raises(ValueError, match="16 bits"):
        writable.insert("moc.", 70_000)
    writable.insert("moc.", 1)
    writable.insert("ten.", 2)
    with pytest.raises(OverflowError, match="full"):
        writable.insert("gro.", 3)


LABELS = st.sampled_from(["a", "b", "ab", "x-y", "0"])
NAMES = st.lists(LABELS, min_size=1, max_size=4).map(".".join)


@settings(max_examples=200, deadline=None)
@given(listed=st.dictionaries(NAMES, st.integers(0, 0xFFFE), max_size=30), query=NAMES)
def test_match_equals_a_plain_python_suffix_walk(listed: dict[str, int], query: str) -> None:
    table = table_of(listed)
    labels = query.split(".")
    expected = [
        (len(suffix) + 1, listed[suffix])
        for i in reversed(range(len(labels)))
        if (suffix := ".".join(labels[i:])) in listed
    ]
    assert (table.match(query) or []) == expected


def test_match_both_walks_once_for_two_tables() -> None:
    small = table_of({"staff.test": 1})
    big = table_of({"example.com": 2, "com": 3})
    assert big.match_both(small, "a.example.com") == (None, [(4, 3), (12, 2)])
    assert big.match_both(small, "x.staff.test.") == ([(11, 1)], None)
    assert big.match_both(small, "other.org") is None
    with pytest.raises(TypeError, match="match_both"):
        big.match_both("not a table", "a.com")  # type: ignore[arg-type]


def test_absurdly_long_names_are_answered_without_harm() -> None:
    table = table_of({"example.com": 1})
    assert table.match("a." * 300 + "example.com") == [(12, 1)]
    assert table.match("." * 1000) is None
