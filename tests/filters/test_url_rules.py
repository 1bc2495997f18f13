"""Address and page entries: their canonical form, and which entry decides a lookup."""

from __future__ import annotations

import ipaddress
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from filters.address_rules import AddressEntry, AddressRules
from filters.names import InvalidName
from filters.never_block import NeverBlock
from filters.page_rules import PageRules
from filters.parsers.base import EXCEPTION, PAGE, PREFIX
from filters.staff import AuditEvent, AuditLog, utc_now
from filters.store import SnapshotStore
from filters.url_rules import canonical_network, canonical_page, normalise_target
from filters.verdict import Tier
from tests.filters.builders import engine_for, spec


@pytest.mark.parametrize(
    ("target", "normal"),
    [
        ("/", "/"),
        ("", "/"),
        ("/Judi", "/judi"),
        ("/a/./b/../judi/", "/a/judi/"),
        ("//judi", "/judi"),
        ("/%4a%75di?Q=%20x", "/judi?q= x"),
        ("/../../judi", "/judi"),
        ("/judi#frag", "/judi"),
        ("/x?a=1#f", "/x?a=1"),
    ],
)
def test_targets_are_compared_as_a_server_would_read_them(target: str, normal: str) -> None:
    assert normalise_target(target) == normal


@pytest.mark.parametrize(
    ("raw", "entry"),
    [
        ("192.0.2.1", "192.0.2.1"),
        ("192.0.2.1/32", "192.0.2.1"),
        ("192.0.2.77/24", "192.0.2.0/24"),
        ("[2001:DB8::1]", "2001:db8::1"),
    ],
)
def test_networks_are_written_as_lists_write_them(raw: str, entry: str) -> None:
    assert canonical_network(raw) == entry


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("example.com/", "page rule without a path"),
        ("ftp://example.com/x", "address of a scheme other than http or https"),
        ("example.com:81/x", "port rule"),
        ("bad..name/x", "empty label"),
    ],
)
def test_bad_page_rules_say_why(raw: str, reason: str) -> None:
    with pytest.raises(InvalidName, match=reason):
        canonical_page(raw)


def test_longest_prefix_decides_and_exceptions_win() -> None:
    rules = AddressRules(
        [
            ("10.0.0.0/8", 0, 0),
            ("10.1.0.0/16", 1, 0),
            ("10.1.2.3", 2, EXCEPTION),
            ("2001:db8::/32", 0, 0),
        ]
    )
    assert rules.match("10.9.9.9") == ("10.0.0.0/8", 0, 0)
    assert rules.match("10.1.9.9") == ("10.1.0.0/16", 1, 0)
    assert rules.match("10.1.2.3") == ("10.1.2.3", 2, EXCEPTION)
    assert rules.match("::ffff:10.1.9.9") == ("10.1.0.0/16", 1, 0)
    assert rules.match("[2001:db8::5]") == ("2001:db8::/32", 0, 0)
    assert rules.match("11.0.0.1") is None
    assert rules.match("not an address") is None
    assert len(rules) == 4


def _reference(entries: list[AddressEntry], address: str) -> AddressEntry | None:
    """What decides by the rule itself, checking every entry."""
    ip = ipaddress.ip_address(address)
    covering = [
        (0 if e[2] & EXCEPTION else 1, -ipaddress.ip_network(e[0]).prefixlen, e[1], e)
        for e in entries
        if ip in ipaddress.ip_network(e[0])
    ]
    return min(covering)[3] if covering else None


_prefix = st.integers(min_value=8, max_value=32)
_address = st.integers(min_value=0x0A000000, max_value=0x0A0000FF).map(
    lambda n: str(ipaddress.IPv4Address(n))
)
_entry = st.tuples(_address, _prefix, st.integers(0, 3), st.sampled_from([0, EXCEPTION])).map(
    lambda t: (str(ipaddress.ip_network(f"{t[0]}/{t[1]}", strict=False)), t[2], t[3])
)


@settings(max_examples=200, deadline=None)
@given(st.lists(_entry, max_size=12), st.lists(_address, min_size=1, max_size=8))
def test_address_lookup_agrees_with_checking_every_entry(
    entries: list[AddressEntry], addresses: list[str]
) -> None:
    # Unique networks: the same network twice keeps the better entry, as the reference does.
    rules = AddressRules(entries)
    for address in addresses:
        expected = _reference(entries, address)
        found = rules.match(address)
        assert (found is None) is (expected is None)
        if found is not None and expected is not None:
            assert found[2] & EXCEPTION == expected[2] & EXCEPTION
            assert (
                ipaddress.ip_network(found[0]).prefixlen
                == ipaddress.ip_network(expected[0]).prefixlen
            )
            assert found[1] == expected[1]


def test_pages_cover_their_host_subdomains_and_what_is_under_the_path() -> None:
    rules = PageRules(
        [
            ("news.example/slot", 0, PAGE),
            ("news.example/promo", 0, PAGE | PREFIX),
            ("news.example/slot/aman", 1, PAGE | EXCEPTION),
        ]
    )
    assert rules.match("news.example", "/slot")[0] == "news.example/slot"  # type: ignore[index]
    assert rules.match("m.news.example", "/slot?x=1") is not None
    assert rules.match("news.example", "/slotting") is None
    assert rules.match("news.example", "/promotion") is not None  # adblock's open prefix
    assert rules.match("news.example", "/slot/aman/x")[1] == 1  # type: ignore[index]
    assert rules.match("othernews.example", "/slot") is None
    assert rules.match("example", "/slot") is None


def test_page_rules_yield_to_an_allowed_host(state_dir: Path) -> None:
    never = NeverBlock(["bank.example"])
    engine = engine_for(
        state_dir,
        [
            (spec("tp", "gambling"), "news.example/slot\nbank.example/judi\nfine.example/judi\n"),
            (spec("ok", action="allow"), "fine.example\n"),
        ],
        never,
    )
    assert engine.lookup_request("news.example", "/slot").blocked
    assert not engine.lookup_request("bank.example", "/judi").blocked  # never-block
    assert not engine.lookup_request("fine.example", "/judi").blocked  # a list's exception
    AuditLog(SnapshotStore(state_dir).audit_path).append(
        AuditEvent(utc_now(), "ani", "allow", "news.example", None, "berita resmi")
    )
    engine.refresh()
    verdict = engine.lookup_request("news.example", "/slot")
    assert not verdict.blocked and verdict.tier == Tier.STAFF_ALLOW
