from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from filters.names import (
    MAX_LABEL_LENGTH,
    MAX_NAME_LENGTH,
    InvalidName,
    key_name,
    name_key,
    normalise_name,
)
from filters.suffix_table import SuffixTable, build_table

KNOWN_REASONS = {
    "empty name",
    "empty label",
    "label longer than 63 bytes",
    "name longer than 253 bytes",
    "ip address, not a name",
    "invalid character",
    "wildcard inside a name",
    "binary data",
    "invalid internationalised name",
}
VALID_SHAPE = re.compile(r"[a-z0-9_-]{1,63}(?:\.[a-z0-9_-]{1,63})*")
IPV4 = re.compile(r"\d+\.\d+\.\d+\.\d+")


def reason_of(raw: str) -> str:
    with pytest.raises(InvalidName) as info:
        normalise_name(raw)
    return info.value.reason


def assert_valid_output(name: str) -> None:
    assert VALID_SHAPE.fullmatch(name), name
    assert len(name) <= MAX_NAME_LENGTH
    assert all(len(label) <= MAX_LABEL_LENGTH for label in name.split("."))
    assert not IPV4.fullmatch(name)
    assert normalise_name(name) == name


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Example.COM", "example.com"),
        ("example.com.", "example.com"),
        ("  WWW.Example.com.\n", "www.example.com"),
        ("Bücher.Example", "xn--bcher-kva.example"),
        ("BÜCHER.example.", "xn--bcher-kva.example"),
        ("xn--bcher-kva.example", "xn--bcher-kva.example"),
        ("ｅｘａｍｐｌｅ．ｃｏｍ", "example.com"),
        ("Ｅｘａｍｐｌｅ.com", "example.com"),
        ("bücher。example", "xn--bcher-kva.example"),
        ("日本語.jp", "xn--wgv71a119e.jp"),
        ("judi-online.xn--p1ai", "judi-online.xn--p1ai"),
    ],
)
def test_normalise_lowercases_strips_trailing_dot_and_converts_unicode(
    raw: str, expected: str
) -> None:
    assert normalise_name(raw) == expected


def test_normalise_uses_idna_2008_nontransitional_so_sharp_s_is_kept() -> None:
    # IDNA 2003 (and transitional UTS 46) would turn "straße" into "strasse", another name.
    assert normalise_name("straße.de") == "xn--strae-oqa.de"
    assert normalise_name("strasse.de") == "strasse.de"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("bücher．example．", "xn--bcher-kva.example"),
        ("example。", "example"),
        ("ｅｘａｍｐｌｅ．ｃｏｍ．", "example.com"),
    ],
)
def test_normalise_removes_a_trailing_fullwidth_or_ideographic_dot(raw: str, expected: str) -> None:
    # UTS 46 maps U+FF0E and U+3002 to "."; a trailing one is a trailing dot like any other.
    assert normalise_name(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("_dmarc.Example.com", "_dmarc.example.com"),
        ("_443._tcp.example.com", "_443._tcp.example.com"),
        ("-lead.example", "-lead.example"),
        ("trail-.example", "trail-.example"),
        ("a--b.example", "a--b.example"),
    ],
)
def test_normalise_accepts_underscores_and_edge_hyphens(raw: str, expected: str) -> None:
    assert normalise_name(raw) == expected


def test_normalise_accepts_underscore_labels_beside_unicode_labels() -> None:
    # The same name written with a U-label or its A-label must normalise the same way.
    assert normalise_name("_dmarc.xn--bcher-kva.example") == "_dmarc.xn--bcher-kva.example"
    assert normalise_name("_dmarc.bücher.example") == "_dmarc.xn--bcher-kva.example"


def test_normalise_accepts_labels_and_names_at_the_exact_limits() -> None:
    label = "a" * MAX_LABEL_LENGTH
    assert normalise_name(f"{label}.com") == f"{label}.com"
    longest = ".".join(["b" * 63, "c" * 63, "d" * 63, "e" * 61])
    assert len(longest) == MAX_NAME_LENGTH
    assert normalise_name(longest + ".") == longest


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("", "empty name"),
        ("   ", "empty name"),
        (".", "empty name"),
        ("a..b", "empty label"),
        (".example.com", "empty label"),
        ("example.com..", "empty label"),
        ("a" * 64 + ".com", "label longer than 63 bytes"),
        ("www." + "x" * 64, "label longer than 63 bytes"),
        (".".join(["b" * 63, "c" * 63, "d" * 63, "e" * 62]), "name longer than 253 bytes"),
        ("1.2.3.4", "ip address, not a name"),
        ("192.168.0.1.", "ip address, not a name"),
        ("::1", "ip address, not a name"),
        ("2001:db8::1", "ip address, not a name"),
        ("a b.example", "invalid character"),
        ("exa%mple.com", "invalid character"),
        ("example.com/path", "invalid character"),
        ("ads.*.example", "wildcard inside a name"),
        ("\x00abc.example", "binary data"),
        ("bad\x7f.example", "binary data"),
        ("tab\there.example", "binary data"),
        ("bücher\x01.example", "binary data"),
        ("\udcff\udcfegarbage", "binary data"),
        (b"\xff\xfe\x00garbage".decode("utf-8", "surrogateescape"), "binary data"),
        (b"ok.\xc3(.example".decode("utf-8", "surrogateescape"), "binary data"),
    ],
)
def test_invalid_names_are_rejected_with_the_right_reason(raw: str, reason: str) -> None:
    assert reason_of(raw) == reason


def test_invalid_name_is_a_value_error_carrying_its_reason() -> None:
    with pytest.raises(ValueError, match="empty label") as info:
        normalise_name("a..b")
    assert isinstance(info.value, InvalidName)
    assert info.value.reason == str(info.value) == "empty label"


def test_name_key_reverses_the_name_and_closes_it_with_a_dot() -> None:
    assert name_key("example.com") == "moc.elpmaxe."
    assert key_name("moc.elpmaxe.") == "example.com"


def table_listing(name: str) -> SuffixTable:
    table, values = build_table([(name_key(name), 1)], 1)
    return SuffixTable(table, values)


def covers(table: SuffixTable, listed: str, query: str) -> bool:
    return (len(listed) + 1, 1) in (table.match(query) or [])


def test_listed_keys_match_only_on_label_boundaries() -> None:
    table = table_listing("example.com")
    assert covers(table, "example.com", "a.b.example.com")
    assert not covers(table, "example.com", "notexample.com")
    assert not covers(table, "example.com", "example.com.evil")


LABELS = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-_", min_size=1, max_size=63)
SHORT_LABELS = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-_", min_size=1, max_size=20)


def is_valid(name: str) -> bool:
    try:
        return normalise_name(name) == name
    except InvalidName:
        return False


VALID_NAMES = st.lists(LABELS, min_size=1, max_size=3).map(".".join).filter(is_valid)


@st.composite
def related_names(draw: st.DrawFn) -> tuple[str, str]:
    """A valid name and a second one that is often the same, a child, a parent or a lookalike."""
    a = draw(VALID_NAMES)
    kind = draw(st.sampled_from(["same", "child", "grandchild", "glued", "parent", "random"]))
    if kind == "same":
        b = a
    elif kind == "child":
        b = f"{draw(SHORT_LABELS)}.{a}"
    elif kind == "grandchild":
        b = f"{draw(SHORT_LABELS)}.{draw(SHORT_LABELS)}.{a}"
    elif kind == "glued":
        b = draw(SHORT_LABELS) + a
    elif kind == "parent":
        b = a.partition(".")[2] or a
    else:
        b = draw(VALID_NAMES)
    return a, b


@given(VALID_NAMES)
def test_keys_round_trip_for_valid_names(name: str) -> None:
    assert key_name(name_key(name)) == name
    assert normalise_name(name.upper() + ".") == name


@settings(max_examples=500)
@given(related_names())
def test_a_listed_name_covers_exactly_itself_and_its_subdomains(
    pair: tuple[str, str],
) -> None:
    a, b = pair
    covered = b == a or b.endswith("." + a)
    table = table_listing(a)
    assert covers(table, a, b) is covered
    assert covers(table, a, b.upper() + ".") is covered


ODD_PIECES = st.sampled_from(
    [*"aZü。．.-_09 \t\x00\x7f\udcff*:/ßİ١\u200d\u0300", "xn--", "XN--", "..", "1.2.3.4"]
)
ARBITRARY_TEXT = st.one_of(
    st.text(),
    st.lists(ODD_PIECES, max_size=30).map("".join),
    st.binary().map(lambda raw: raw.decode("utf-8", "surrogateescape")),
    st.lists(st.text(max_size=70), max_size=6).map(".".join),
)


@settings(max_examples=1000)
@given(ARBITRARY_TEXT)
def test_normalise_returns_a_valid_name_or_raises_invalid_name_only(raw: str) -> None:
    try:
        name = normalise_name(raw)
    except InvalidName as exc:
        assert exc.reason in KNOWN_REASONS
    else:
        assert_valid_output(name)
