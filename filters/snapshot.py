"""A loaded snapshot: the mmap'd trie of listed names and what each entry means."""

from __future__ import annotations

import json
import mmap
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import marisa_trie

from filters.names import key_name, name_key
from filters.parsers.base import EXCEPTION, SUBDOMAINS_ONLY
from filters.rules import render_rule
from filters.snapshot_file import NO_RECORD, SnapshotError, read_layout
from filters.verdict import Tier, Verdict

# Small on purpose: it holds the popular blocked names, not a copy of the list.
ENTRY_CACHE_SIZE = 8192


@dataclass(frozen=True)
class SourceInfo:
    """What the snapshot knows of one source: enough to explain a verdict."""

    name: str
    category: str
    format: str


class Snapshot:
    """Read-only view of a compiled snapshot; pages are shared by every process that maps it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            with path.open("rb") as fh:
                self._mm = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
        except (OSError, ValueError) as exc:
            raise SnapshotError(f"{path}: cannot map: {exc}") from None
        layout = read_layout(self._mm, path)
        view = memoryview(self._mm)
        self.meta: dict[str, Any] = json.loads(view[layout.meta_off : layout.total].tobytes())
        self._trie = marisa_trie.Trie()
        try:
            self._trie.map(view[layout.trie_off : layout.trie_off + layout.trie_len])
        except Exception as exc:  # marisa raises its own error types for a bad trie
            raise SnapshotError(f"{path}: damaged trie: {exc}") from None
        if len(self._trie) != layout.n_keys:
            raise SnapshotError(
                f"{path}: trie has {len(self._trie)} keys, header says {layout.n_keys}"
            )
        self._records = view[layout.rec_off : layout.rec_off + 2 * layout.n_keys].cast("H")
        self._lines = view[layout.line_off : layout.line_off + 4 * layout.n_keys].cast("I")
        self.sources = tuple(
            SourceInfo(s["name"], s["category"], s["format"]) for s in self.meta["sources"]
        )
        self._attrs: list[tuple[int, int]] = [(a[0], a[1]) for a in self.meta["attrs"]]
        self._entry_cache: dict[str, tuple[Verdict | None, bool]] = {}
        # Bound once: the lookup fast path is this single C call.
        self.prefixes = self._trie.prefixes

    @property
    def snapshot_id(self) -> str:
        """The id recorded at compile time."""
        return str(self.meta["id"])

    def __len__(self) -> int:
        return len(self._trie)

    def match(self, key: str) -> Verdict | None:
        """The list verdict for a query key, or None when no listed name covers it."""
        hits = self.prefixes(key)
        if not hits:
            return None
        return self.explain(key, hits)

    def explain(self, key: str, hits: list[str]) -> Verdict | None:
        """Pick the deciding entry among the listed prefixes of `key`.

        Exceptions beat blocks; within a tier the most specific (longest) entry decides,
        because it says the most about the name.
        """
        best: Verdict | None = None
        best_rank = (Tier.NONE, 0)
        cache = self._entry_cache
        for hit in hits:
            entry = cache.get(hit)
            if entry is None:
                entry = self._entry(hit)
            verdict, subdomains_only = entry
            if verdict is None or (subdomains_only and len(hit) == len(key)):
                continue  # "*.name" does not cover the name itself
            rank = (verdict.tier, -len(hit))
            if rank < best_rank:
                best, best_rank = verdict, rank
        return best

    def _entry(self, hit: str) -> tuple[Verdict | None, bool]:
        """The verdict a listed key gives, cached: popular names are asked for again and again."""
        key_id = self._trie.key_id(hit)
        attr_index = self._records[key_id]
        if attr_index == NO_RECORD:
            entry: tuple[Verdict | None, bool] = (None, False)
        else:
            source_index, flags = self._attrs[attr_index]
            source = self.sources[source_index]
            listed = key_name(hit)
            tier = Tier.LIST_EXCEPTION if flags & EXCEPTION else Tier.LIST_BLOCK
            verdict = Verdict(
                blocked=tier == Tier.LIST_BLOCK,
                tier=tier,
                category=source.category,
                source=source.name,
                rule=render_rule(source.format, listed, flags),
                listed=listed,
            )
            entry = (verdict, bool(flags & SUBDOMAINS_ONLY))
        if len(self._entry_cache) >= ENTRY_CACHE_SIZE:
            self._entry_cache.clear()  # crude but bounded; refills with what is asked now
        self._entry_cache[hit] = entry
        return entry

    def line_of(self, listed: str) -> int | None:
        """The list line where `listed` stands; read only for staff, so its pages stay cold."""
        key = name_key(listed)
        if key not in self._trie:
            return None
        return int(self._lines[self._trie.key_id(key)])
