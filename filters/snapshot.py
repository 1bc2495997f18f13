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
        self.sources = tuple(
            SourceInfo(s["name"], s["category"], s["format"]) for s in self.meta["sources"]
        )
        self._attrs: list[tuple[int, int]] = [(a[0], a[1]) for a in self.meta["attrs"]]
        # Everything a verdict needs per attribution, worked out once instead of per lookup.
        self._attr_parts = [self._parts(source, flags) for source, flags in self._attrs]
        self._entry_cache: dict[int, tuple[Verdict | None, bool]] = {}
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
            verdict, subdomains_only = entry
            if verdict is None or (subdomains_only and len(hit) == len(key)):
                continue  # "*.name" does not cover the name itself
            rank = (verdict.tier, -len(hit))
            if rank < best_rank:
                best, best_rank = verdict, rank
        return best

    def _entry(self, hit: str, key_id: int) -> tuple[Verdict | None, bool]:
        """The verdict a listed key gives, cached: popular names are asked for again and again."""
        attr_index = self._records[key_id]
        if attr_index == NO_RECORD:
            entry: tuple[Verdict | None, bool] = (None, False)
        else:
            blocked, tier, category, source, fmt, flags = self._attr_parts[attr_index]
            listed = key_name(hit)
            verdict = Verdict(
                blocked, tier, category, source, render_rule(fmt, listed, flags), listed
            )
            entry = (verdict, bool(flags & SUBDOMAINS_ONLY))
        cache = self._entry_cache
        if len(cache) >= ENTRY_CACHE_SIZE:
            cache.clear()  # crude but bounded; refills with what is asked now
        cache[key_id] = entry
        return entry

    def attribution(self, listed: str) -> tuple[SourceInfo, int] | None:
        """The source and entry flags that won for a listed name."""
        key = name_key(listed)
        if key not in self._trie:
            return None
        attr_index = self._records[self._trie.key_id(key)]
        if attr_index == NO_RECORD:
            return None
        source_index, flags = self._attrs[attr_index]
        return self.sources[source_index], flags
