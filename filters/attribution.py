"""Which source and flags win for every key of a compiled trie.

The obvious way, one `key_id` lookup per entry, walks the trie ten million times at random and
was a third of the compile time. Instead every key starts with the *default* attribution: the
largest source with its most common flags (TrustPositif, in practice). Only entries that could
change that (other sources' entries, and the largest source's entries with other flags) are
looked up; the largest source's ordinary entries are just checked against that set.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterator
from pathlib import Path

import marisa_trie

from filters.parsers import EXCEPTION, SUBDOMAINS_ONLY
from filters.progress import Progress
from filters.snapshot_file import NO_RECORD


def read_spool(path: Path) -> Iterator[tuple[str, int]]:
    """(key, flags) rows of a spool file written by the compiler."""
    with path.open(encoding="utf-8") as fh:
        for row in fh:
            key, _, flag_text = row.partition("\t")
            yield key, int(flag_text)


NONE = -1
# A key's attribution is a pair: the entry that decides the name itself, and the entry that
# decides names under it. They differ when a list has "*.name" beside a plain "name".
Pair = tuple[int, int]


def _better(current: int, candidate: int, table: list[tuple[int, int]]) -> bool:
    """Sources come in priority order, so a later entry wins only as an exception over a block."""
    if current == NONE:
        return True
    return bool(table[candidate][1] & EXCEPTION) and not table[current][1] & EXCEPTION


class _Tables:
    """Interned (source, flags) entries and (self, subdomains) pairs of them."""

    def __init__(self) -> None:
        self.attrs: list[tuple[int, int]] = []
        self.pairs: list[Pair] = []
        self._attr_index: dict[tuple[int, int], int] = {}
        self._pair_index: dict[Pair, int] = {}

    def attr(self, source: int, flags: int) -> int:
        index = self._attr_index.get((source, flags))
        if index is None:
            index = self._attr_index[(source, flags)] = len(self.attrs)
            self.attrs.append((source, flags))
        return index

    def pair(self, pair: Pair) -> int:
        index = self._pair_index.get(pair)
        if index is None:
            index = self._pair_index[pair] = len(self.pairs)
            self.pairs.append(pair)
        return index

    def add(self, pair: Pair, source: int, flags: int) -> Pair:
        """The pair after one more entry for the same key."""
        own, sub = pair
        candidate = self.attr(source, flags)
        if _better(sub, candidate, self.attrs):
            sub = candidate
        if not flags & SUBDOMAINS_ONLY and _better(own, candidate, self.attrs):
            own = candidate
        return own, sub


def attribute_keys(
    trie: marisa_trie.Trie,
    spools: list[Path],
    sizes: list[int],
    default_flags: list[int],
    progress: Progress,
) -> tuple[array[int], list[tuple[int, int]], list[Pair]]:
    """Per key, an index into the returned pair table; pairs index the (source, flags) table.

    Sources are in priority order: an earlier source wins over a later one, except that a
    list exception wins over a list block.
    """
    tables = _Tables()
    if not spools or not len(trie):
        return array("H"), tables.attrs, tables.pairs
    big = max(range(len(spools)), key=sizes.__getitem__)
    big_flags = default_flags[big]
    default_pair = tables.add((NONE, NONE), big, big_flags)
    records = array("H", [tables.pair(default_pair)]) * len(trie)

    # Keys whose attribution may differ from the default; everything else keeps it untouched.
    progress.say("attributing entries to sources")
    pending: dict[str, Pair] = {}
    for source, spool in enumerate(spools):
        for key, flags in read_spool(spool):
            if (source != big or flags != big_flags) and key not in pending:
                pending[key] = (NONE, NONE)
    if pending:
        for source, spool in enumerate(spools):
            for key, flags in read_spool(spool):
                pair = pending.get(key)
                if pair is not None:
                    pending[key] = tables.add(pair, source, flags)
        key_id = trie.key_id
        for key, pair in pending.items():
            records[key_id(key)] = tables.pair(pair)
    if len(tables.pairs) > NO_RECORD:
        raise ValueError("too many distinct source and flag combinations")
    return records, tables.attrs, tables.pairs
