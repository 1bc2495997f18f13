"""What the engine answers: label boundaries, precedence, attribution, staff edits, hot reload."""

from __future__ import annotations

from pathlib import Path

import pytest

from filters.engine import BlocklistEngine
from filters.staff import AuditEvent, AuditLog
from filters.store import SnapshotStore
from filters.verdict import UNLISTED, Tier
from tests.conftest import shared_list
from tests.filters.builders import TEST_NEVER_BLOCK, engine_for, publish_lists, spec


def staff(engine: BlocklistEngine, action: str, name: str, category: str | None = None) -> None:
    AuditLog(engine.store.audit_path).append(
        AuditEvent("2026-11-23T00:00:00Z", "tester", action, name, category, "test reason")
    )
    engine.refresh()


def test_listed_name_blocks_itself_and_subdomains_on_label_boundaries(state_dir: Path) -> None:
    engine = engine_for(state_dir, [(spec("tp"), "example.com\n")])
    for name in (
        "example.com",
        "a.example.com",
        "x.y.example.com",
        "EXAMPLE.com.",
        "A.Example.Com",
    ):
        verdict = engine.lookup(name)
        assert verdict.blocked, name
        assert (verdict.listed, verdict.source, verdict.category) == ("example.com", "tp", "porn")
    for name in ("notexample.com", "example.co", "example.com.evil", "com", "xexample.com"):
        assert engine.lookup(name) is UNLISTED, name


def test_wildcard_blocks_only_what_is_under_the_name(state_dir: Path) -> None:
    engine = engine_for(state_dir, [(spec("w", fmt="domains"), "*.tracker.test\n")])
    assert engine.lookup("a.tracker.test").blocked
    assert engine.lookup("a.b.tracker.test").rule == "*.tracker.test"
    assert not engine.lookup("tracker.test").blocked


def test_unicode_query_matches_punycode_entry(state_dir: Path) -> None:
    engine = engine_for(state_dir, [(spec("idn"), "bücher.example\n")])
    assert engine.lookup("xn--bcher-kva.example").blocked
    assert engine.lookup("WWW.BÜCHER.example").blocked
    assert engine.lookup("bucher.example") is UNLISTED


def test_list_exception_beats_list_block_from_any_source(state_dir: Path) -> None:
    engine = engine_for(
        state_dir,
        [
            (spec("blocks"), "cdn.test\nevil.test\n"),
            (spec("ab", fmt="adblock"), "@@||good.cdn.test^\n"),
        ],
    )
    allowed = engine.lookup("img.good.cdn.test")
    assert not allowed.blocked
    assert (allowed.tier, allowed.source, allowed.rule) == (
        Tier.LIST_EXCEPTION,
        "ab",
        "@@||good.cdn.test^",
    )
    assert engine.lookup("bad.cdn.test").blocked


def test_allow_source_turns_its_names_into_exceptions(state_dir: Path) -> None:
    engine = engine_for(
        state_dir,
        [(spec("tp"), "msauth.net\n"), (spec("fp", action="allow"), "aadcdn.msauth.net\n")],
    )
    assert engine.lookup("aadcdn.msauth.net").tier == Tier.LIST_EXCEPTION
    assert engine.lookup("login.msauth.net").blocked


def test_most_specific_block_is_reported_and_first_source_wins_ties(state_dir: Path) -> None:
    engine = engine_for(
        state_dir,
        [
            (spec("first", "gambling"), "slot.test\n"),
            (spec("second", "porn", fmt="hosts"), "0.0.0.0 slot.test\n0.0.0.0 vid.slot.test\n"),
        ],
    )
    assert engine.lookup("a.slot.test").source == "first"
    deep = engine.lookup("x.vid.slot.test")
    assert (deep.source, deep.category, deep.rule) == ("second", "porn", "0.0.0.0 vid.slot.test")
    assert deep.line is None  # the hot path leaves line numbers on disk
    assert engine.explain("x.vid.slot.test") == deep._replace(line=2)


def test_precedence_never_block_then_staff_allow_then_staff_block_then_lists(
    state_dir: Path,
) -> None:
    engine = engine_for(
        state_dir,
        [(spec("tp"), "apple.com\nsite.test\n"), (spec("ex", fmt="adblock"), "@@||ok.test^\n")],
    )
    # A list block of apple.com never reaches the connectivity check host.
    captive = engine.lookup("captive.apple.com")
    assert (captive.blocked, captive.tier) == (False, Tier.NEVER_BLOCK)
    assert engine.lookup("store.apple.com").blocked

    staff(engine, "add", "ok.test", "gambling")  # staff block beats a list exception
    blocked = engine.lookup("a.ok.test")
    assert (blocked.blocked, blocked.tier, blocked.category) == (True, Tier.STAFF_BLOCK, "gambling")

    staff(engine, "allow", "site.test")  # staff allow beats a list block
    allowed = engine.lookup("www.site.test")
    assert (allowed.blocked, allowed.tier, allowed.reason) == (
        False,
        Tier.STAFF_ALLOW,
        "test reason",
    )

    staff(engine, "allow", "ok.test")  # and beats a staff block
    assert engine.lookup("ok.test").tier == Tier.STAFF_ALLOW

    staff(engine, "add", "captive.apple.com", "porn")  # nothing beats never-block
    assert engine.lookup("captive.apple.com").tier == Tier.NEVER_BLOCK


def test_staff_remove_restores_the_list_verdict(state_dir: Path) -> None:
    engine = engine_for(state_dir, [(spec("tp"), "site.test\n")])
    staff(engine, "allow", "site.test")
    assert not engine.lookup("site.test").blocked
    staff(engine, "remove", "site.test")
    assert engine.lookup("site.test").tier == Tier.LIST_BLOCK


def test_staff_block_applies_without_any_snapshot(state_dir: Path) -> None:
    SnapshotStore(state_dir).ensure()
    engine = BlocklistEngine(state_dir, never_block=TEST_NEVER_BLOCK)
    assert engine.snapshot is None
    staff(engine, "add", "judi.test", "gambling")
    assert engine.lookup("www.judi.test").blocked


def test_refresh_picks_up_a_new_snapshot(state_dir: Path) -> None:
    engine = engine_for(state_dir, [(spec("tp"), "old.test\n")])
    assert not engine.refresh()
    publish_lists(state_dir, [(spec("tp"), "new.test\n")])
    assert engine.refresh()
    assert engine.lookup("new.test").blocked
    assert engine.lookup("old.test") is UNLISTED


@pytest.mark.parametrize(
    ("listed", "query"),
    [
        ("judi-indonesia-sample.txt", "ww1653.bocoranbom.site"),
        ("trustpositif-domains-sample.txt", "nexglobal.vercel.app"),
        ("hagezi-light-multi.rpz", "smetrics.abbott"),
        ("blocklistproject-drugs.adblock", "001kanpou.com"),
    ],
)
def test_real_lists_block_their_names_and_subdomains(
    state_dir: Path, listed: str, query: str
) -> None:
    text = shared_list(listed).read_text(encoding="utf-8")
    engine = engine_for(state_dir, [(spec("real"), text)])
    assert engine.lookup(query).blocked
    assert engine.lookup("www." + query).blocked
    assert engine.lookup("not" + query) is UNLISTED


def test_attribution_with_one_large_source_and_small_ones(state_dir: Path) -> None:
    """The compiler's shortcut for the largest source must give the same answers as the rules."""
    big = "".join(f"n{i}.big.test\n" for i in range(500))
    big += "shared.test\nlate.test\n*.wild.test\n"
    engine = engine_for(
        state_dir,
        [
            (spec("early", "malware"), "shared.test\n"),
            (spec("big", "porn", fmt="domains"), big),
            (spec("late", "gambling"), "late.test\nonly-late.test\n"),
            (spec("ex", fmt="adblock"), "@@||n7.big.test^\n"),
        ],
    )
    assert engine.lookup("n3.big.test").source == "big"
    assert engine.lookup("shared.test").source == "early"  # an earlier source wins
    assert engine.lookup("late.test").source == "big"  # a later one does not steal it
    assert engine.lookup("only-late.test").source == "late"
    assert engine.lookup("n7.big.test").tier == Tier.LIST_EXCEPTION  # exceptions beat blocks
    assert engine.lookup("a.wild.test").blocked
    assert not engine.lookup("wild.test").blocked  # "*.name" alone never covers the name
    assert engine.explain("late.test").line == 502
