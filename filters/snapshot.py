"""A loaded snapshot: the mmap'd trie of listed names and what each entry means."""

from __future__ import annotations

import json
import mmap
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import marisa_trie

from filters.attribution import NONE
from filters.names import key_name, name_key
from filters.parsers.base import EXCEPTION
from filters.rules import render_rule
from filters.snapshot_file import SnapshotError, read_layout
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
        try:
            self.meta: dict[str, Any] = json.loads(view[layout.meta_off : layout.total].tobytes())
        except ValueError as exc:
            raise SnapshotError(f"{path}: damaged metadata: {exc}") from None
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
        try:
            self.sources = tuple(
                SourceInfo(s["name"], s["category"], s["format"]) for s in self.meta["sources"]
            )
            self._attrs: list[tuple[int, int]] = [(a[0], a[1]) for a in self.meta["attrs"]]
            self._pairs: list[tuple[int, int]] = [(p[0], p[1]) for p in self.meta["pairs"]]
        except (KeyError, IndexError, TypeError) as exc:
            raise SnapshotError(f"{path}: metadata lacks {exc}") from None
        # Everything a verdict needs per attribution, worked out once instead of per lookup.
        self._attr_parts = [self._parts(source, flags) for source, flags in self._attrs]
        self._entry_cache: dict[int, tuple[Verdict | None, Verdict | None]] = {}
        # Bound once: the lookup fast path is this single C call. One walk of the trie gives
        # the listed prefixes and their ids; a second walk per hit (key_id) cost 35% more.
        self.hits = self._trie.iter_prefixes_with_ids

    def _parts(self, source_index: int, flags: int) -> tuple[bool, Tier, str, str, str, int]:
        source = self.sources[source_index]
        tier = Tier.LIST_EXCEPTION if flags & EXCEPTION else Tier.LIST_BLOCK
        return (tier == Tier.LIST_BLOCK, tier, source.category, source.name, source.format, flags)

    @property
    def snapshot_id(self) -> str:
        """The id recorded at compile time."""
        return str(self.meta["id"])

    def __len__(self) -> int:
        return len(self._trie)

    def match(self, key: str) -> Verdict | None:
        """The list verdict for a query key, or None when no listed name covers it."""
        hits = list(self.hits(key))
        if not hits:
            return None
        return self.explain(key, hits)

    def explain(self, key: str, hits: list[tuple[str, int]]) -> Verdict | None:
        """Pick the deciding entry among the listed prefixes of `key` (with their key ids).

        Exceptions beat blocks; within a tier the most specific (longest) entry decides,
        because it says the most about the name.
        """
        best: Verdict | None = None
        best_rank = (Tier.NONE, 0)
        cache = self._entry_cache
        for hit, key_id in hits:
            entry = cache.get(key_id)
            if entry is None:
                entry = self._entry(hit, key_id)
            # The name itself and the names under it may be decided by different entries.
            verdict = entry[0] if len(hit) == len(key) else entry[1]
            if verdict is None:
                continue
            rank = (verdict.tier, -len(hit))
            if rank < best_rank:
                best, best_rank = verdict, rank
        return best

    def _entry(self, hit: str, key_id: int) -> tuple[Verdict | None, Verdict | None]:
        """The verdicts a listed key gives for itself and for its subdomains, cached."""
        own, sub = self._pairs[self._records[key_id]]
        listed = key_name(hit)
        own_verdict = self._verdict(own, listed)
        entry = (own_verdict, own_verdict if sub == own else self._verdict(sub, listed))
        cache = self._entry_cache
        if len(cache) >= ENTRY_CACHE_SIZE:
            cache.clear()  # crude but bounded; refills with what is asked now
        cache[key_id] = entry
        return entry

    def _verdict(self, attr_index: int, listed: str) -> Verdict | None:
        if attr_index == NONE:
            return None
        blocked, tier, category, source, fmt, flags = self._attr_parts[attr_index]
        return Verdict(blocked, tier, category, source, render_rule(fmt, listed, flags), listed)

    def attribution(self, listed: str, exact: bool) -> tuple[SourceInfo, int] | None:
        """The source and entry flags that decide `listed` itself (exact) or names under it."""
        key = name_key(listed)
        if key not in self._trie:
            return None
        own, sub = self._pairs[self._records[self._trie.key_id(key)]]
        attr_index = own if exact else sub
        if attr_index == NONE:
            return None
        source_index, flags = self._attrs[attr_index]
        return self.sources[source_index], flags
