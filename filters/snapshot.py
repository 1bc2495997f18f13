"""A loaded snapshot: the mmap'd table of listed names and what each entry means."""

from __future__ import annotations

import array
import functools
import json
import mmap
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from filters.address_rules import AddressRules
from filters.attribution import NONE
from filters.names import name_key
from filters.page_rules import PageRules
from filters.parsers.base import EXCEPTION
from filters.rules import render_rule
from filters.snapshot_file import SnapshotError, read_layout
from filters.suffix_table import SuffixTable
from filters.verdict import Tier, Verdict

# NamedTuple's generated __new__ is Python code; building the tuple directly halves the cost.
_new_verdict = tuple.__new__


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
        self._keys = layout.n_keys
        view = memoryview(self._mm)
        try:
            self.meta: dict[str, Any] = json.loads(view[layout.meta_off : layout.total].tobytes())
            self.sources = tuple(
                SourceInfo(s["name"], s["category"], s["format"]) for s in self.meta["sources"]
            )
            self._attrs: list[tuple[int, int]] = [(a[0], a[1]) for a in self.meta["attrs"]]
            self._pairs: list[tuple[int, int]] = [(p[0], p[1]) for p in self.meta["pairs"]]
            # Snapshots compiled before address and page entries existed have neither key.
            self.addresses = AddressRules((e, i, f) for e, i, f in self.meta.get("addresses", []))
            self.pages = PageRules((e, i, f) for e, i, f in self.meta.get("pages", []))
        except ValueError as exc:
            raise SnapshotError(f"{path}: damaged metadata: {exc}") from None
        except (KeyError, IndexError, TypeError) as exc:
            raise SnapshotError(f"{path}: metadata lacks {exc}") from None
        self.table = SuffixTable(
            view[layout.table_off : layout.values_off], view[layout.values_off : layout.meta_off]
        )
        # Everything a verdict needs per attribution, worked out once instead of per lookup.
        self._attr_parts = [self._parts(source, flags) for source, flags in self._attrs]
        # Bound once: the lookup fast path is this single C call, None for an unlisted name.
        self.hits = self.table.match

    def _parts(self, source_index: int, flags: int) -> tuple[bool, Tier, str, str, str, str]:
        """Verdict fields of one attribution, with the rule split around the listed name."""
        source = self.sources[source_index]
        tier = Tier.LIST_EXCEPTION if flags & EXCEPTION else Tier.LIST_BLOCK
        before, _, after = render_rule(source.format, "\0", flags).partition("\0")
        return (tier == Tier.LIST_BLOCK, tier, source.category, source.name, before, after)

    @functools.cached_property
    def fast_tables(self) -> tuple[bytes, bytes, tuple[str, ...]]:
        """The hits' meaning as flat arrays, for answering blocked names in C.

        Pairs as int32 (own, sub) attribution indexes (-1: none); per attribution a uint16,
        0 when it does not block, else 1 + the index of its category in the tuple returned.
        """
        categories = tuple(sorted({parts[2] or "blocked" for parts in self._attr_parts}))
        index = {category: i + 1 for i, category in enumerate(categories)}
        pairs = array.array("i", [number for pair in self._pairs for number in pair])
        blocking = array.array(
            "H", [index[p[2] or "blocked"] if p[0] else 0 for p in self._attr_parts]
        )
        return pairs.tobytes(), blocking.tobytes(), categories

    @property
    def snapshot_id(self) -> str:
        """The id recorded at compile time."""
        return str(self.meta["id"])

    def __len__(self) -> int:
        return self._keys

    def match(self, name: str) -> Verdict | None:
        """The list verdict for an ASCII name, or None when no listed name covers it."""
        hits = self.hits(name)
        if hits is None:
            return None
        return self.explain(name, hits)

    def match_address(self, address: str) -> Verdict | None:
        """The list verdict for an IP address, or None when no listed network covers it."""
        found = self.addresses.match(address)
        return None if found is None else self._entry_verdict(*found)

    def match_page(self, host: str, target: str) -> Verdict | None:
        """The list verdict for a request target on a host by its page entries, or None."""
        found = self.pages.match(host, target)
        return None if found is None else self._entry_verdict(*found)

    def _entry_verdict(self, listed: str, source_index: int, flags: int) -> Verdict:
        """The verdict of an address or page entry, with its rule as its list writes it."""
        source = self.sources[source_index]
        tier = Tier.LIST_EXCEPTION if flags & EXCEPTION else Tier.LIST_BLOCK
        rule = render_rule(source.format, listed, flags)
        return Verdict(tier == Tier.LIST_BLOCK, tier, source.category, source.name, rule, listed)

    def explain(self, name: str, hits: list[tuple[int, int]]) -> Verdict | None:
        """Pick the deciding entry among the listed suffixes of `name` (from `hits`).

        Exceptions beat blocks; within a tier the most specific (longest) entry decides,
        because it says the most about the name.
        """
        full = len(name) + 1 if name[-1:] != "." else len(name)
        if len(hits) == 1:  # nearly every blocked name: no ranking needed
            key_len, pair = hits[0]
            return self._verdict(name, full, key_len, pair)
        best: Verdict | None = None
        best_rank = (Tier.NONE, 0)
        for key_len, pair in hits:
            verdict = self._verdict(name, full, key_len, pair)
            if verdict is not None and (verdict.tier, -key_len) < best_rank:
                best, best_rank = verdict, (verdict.tier, -key_len)
        return best

    def _verdict(self, name: str, full: int, key_len: int, pair: int) -> Verdict | None:
        """The verdict of one hit: the listed suffix of `name` that is `key_len` long as a key."""
        own, sub = self._pairs[pair]
        # The name itself and the names under it may be decided by different entries.
        attr = own if key_len == full else sub
        if attr == NONE:
            return None
        blocked, tier, category, source, before, after = self._attr_parts[attr]
        listed = name[full - key_len : full - 1].lower()
        return _new_verdict(
            Verdict, (blocked, tier, category, source, before + listed + after, listed, None, None)
        )

    def attribution(self, listed: str, exact: bool) -> tuple[SourceInfo, int] | None:
        """The source and entry flags that decide `listed` itself (exact) or names under it."""
        pair = self.table.get(name_key(listed))
        if pair is None:
            return None
        own, sub = self._pairs[pair]
        attr_index = own if exact else sub
        if attr_index == NONE:
            return None
        source_index, flags = self._attrs[attr_index]
        return self.sources[source_index], flags
