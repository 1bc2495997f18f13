"""The compiled engine agrees with a plain-Python model of the rules on random lists."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from filters.verdict import Tier
from tests.filters.builders import engine_for, spec

# A tiny alphabet of labels so random names overlap, nest and share suffixes often.
LABEL = st.sampled_from(["a", "b", "ab", "ba", "x"])
NAME = st.lists(LABEL, min_size=1, max_size=4).map(lambda labels: ".".join(labels) + ".t")
ENTRY = st.tuples(NAME, st.booleans(), st.booleans())  # (name, exception, wildcard)
SOURCE = st.lists(ENTRY, min_size=0, max_size=12)


def covers(entry_name: str, wildcard: bool, query: str) -> bool:
    under = query.endswith("." + entry_name)
    return under if wildcard else (under or query == entry_name)


def model(sources: list[list[tuple[str, bool, bool]]], query: str) -> tuple[bool, str | None]:
    """(blocked, source) by the documented rules: exceptions first, then the most specific
    entry, then the earlier source; "*.name" covers only names under it."""
    best: tuple[int, int, int] | None = None
    for index, entries in enumerate(sources):
        for name, exception, wildcard in entries:
            if covers(name, wildcard, query):
                rank = (0 if exception else 1, -len(name), index)
                best = rank if best is None or rank < best else best
    if best is None:
        return False, None
    return best[0] == 1, f"s{best[2]}"


def adblock_text(entries: list[tuple[str, bool, bool]]) -> str:
    return "".join(
        f"{'@@' if exception else ''}||{'*.' if wildcard else ''}{name}^\n"
        for name, exception, wildcard in entries
    )


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sources=st.lists(SOURCE, min_size=1, max_size=3), queries=st.lists(NAME, max_size=15))
def test_engine_matches_the_model(
    sources: list[list[tuple[str, bool, bool]]], queries: list[str]
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        engine = engine_for(
            Path(tmp) / "state",
            [(spec(f"s{i}", fmt="adblock"), adblock_text(e)) for i, e in enumerate(sources)],
        )
        listed = [name for entries in sources for name, _, _ in entries]
        for query in queries + listed + ["www." + n for n in listed]:
            verdict = engine.lookup(query)
            blocked, source = model(sources, query)
            assert verdict.blocked == blocked, query
            if source is not None and verdict.tier == Tier.LIST_BLOCK:
                assert verdict.source == source, query
