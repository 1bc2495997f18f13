"""The small, fast-changing layer over a snapshot: the must-never-block list and staff entries.

It is rebuilt in milliseconds when staff edit, so edits apply without recompiling millions of
listed names.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import marisa_trie

from filters.names import name_key
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
            key = name_key(entry.name)
            if key not in best or entry.tier < best[key].tier:
                best[key] = entry
        self._entries = best
        self._trie = marisa_trie.Trie(best)
        self.prefixes = self._trie.prefixes

    def __len__(self) -> int:
        return len(self._entries)

    def match(self, key: str) -> Verdict | None:
        """The strongest entry covering `key`, most specific within a tier; None if none."""
        hits = self.prefixes(key)
        if not hits:
            return None
        entry = min((self._entries[h] for h in hits), key=lambda e: (e.tier, -len(e.name)))
        return Verdict(
            blocked=entry.tier == Tier.STAFF_BLOCK,
            tier=entry.tier,
            category=entry.category,
            source=entry.source,
            rule=entry.name,
            listed=entry.name,
            reason=entry.reason,
        )
