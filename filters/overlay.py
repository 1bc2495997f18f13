"""The small, fast-changing layer over a snapshot: the must-never-block list and staff entries.

It is rebuilt in milliseconds when staff edit, so edits apply without recompiling millions of
listed names.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from filters.names import name_key
from filters.suffix_table import SuffixTable, build_table
from filters.verdict import Tier, Verdict


@dataclass(frozen=True)
class OverlayEntry:
    """One never-block or staff entry."""

    name: str
    tier: Tier
    category: str | None = None
    reason: str | None = None
    source: str = "staff"


class Overlay:
    """Never-block and staff entries, each covering its name and every subdomain."""

    def __init__(self, entries: Iterable[OverlayEntry]) -> None:
        best: dict[str, OverlayEntry] = {}
        for entry in entries:
            if entry.name not in best or entry.tier < best[entry.name].tier:
                best[entry.name] = entry
        chosen = list(best.values())
        self._verdicts = [
            Verdict(
                blocked=entry.tier == Tier.STAFF_BLOCK,
                tier=entry.tier,
                category=entry.category,
                source=entry.source,
                rule=entry.name,
                listed=entry.name,
                reason=entry.reason,
            )
            for entry in chosen
        ]
        table, values = build_table(
            ((name_key(e.name), i) for i, e in enumerate(chosen)), len(chosen)
        )
        self.table = SuffixTable(table, values)
        self.hits = self.table.match

    def __len__(self) -> int:
        return len(self._verdicts)

    def decide(self, hits: list[tuple[int, int]]) -> Verdict | None:
        """The strongest entry among the hits, most specific within a tier."""
        verdicts = self._verdicts
        return min(
            (verdicts[index] for _, index in hits),
            key=lambda v: (v.tier, -len(v.listed or "")),
            default=None,
        )

    def match(self, name: str) -> Verdict | None:
        """The deciding entry for an ASCII name; None if no entry covers it."""
        hits = self.hits(name)
        return None if hits is None else self.decide(hits)
