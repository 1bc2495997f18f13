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


def _rank(flags: int) -> tuple[bool, bool]:
    """Exceptions first, then entries that cover the name itself; lower sorts first."""
    return (not flags & EXCEPTION, bool(flags & SUBDOMAINS_ONLY))


def attribute_keys(
    trie: marisa_trie.Trie,
    spools: list[Path],
    sizes: list[int],
    default_flags: list[int],
    progress: Progress,
) -> tuple[array[int], list[tuple[int, int]]]:
    """Per key, the index of its winning (source, flags) in the returned table.

    Sources are in priority order: an earlier source wins over a later one, and within that
    an exception or an entry covering the name itself wins over a weaker entry.
    """
    attrs: dict[tuple[int, int], int] = {}
    attr_list: list[tuple[int, int]] = []

    def attr_of(source: int, flags: int) -> int:
        index = attrs.get((source, flags))
        if index is None:
            index = attrs[(source, flags)] = len(attr_list)
            attr_list.append((source, flags))
        return index

    if not spools or not len(trie):
        return array("H"), attr_list
    big = max(range(len(spools)), key=sizes.__getitem__)
    big_flags = default_flags[big]
    records = array("H", [attr_of(big, big_flags)]) * len(trie)

    # Keys whose attribution may differ from the default, with their ids, reset to "none".
    progress.say("attributing entries to sources")
    ids: dict[str, int] = {}
    key_id = trie.key_id
    for source, spool in enumerate(spools):
        for key, flags in read_spool(spool):
            if (source != big or flags != big_flags) and key not in ids:
                kid = ids[key] = key_id(key)
                records[kid] = NO_RECORD

    for source, spool in enumerate(spools):
        for key, flags in read_spool(spool):
            kid_or_none = ids.get(key)
            if kid_or_none is None:
                continue  # only ever listed by the largest source with its usual flags
            current = records[kid_or_none]
            if current != NO_RECORD and _rank(flags) >= _rank(attr_list[current][1]):
                continue  # an earlier source, or a stronger entry, already won
            records[kid_or_none] = attr_of(source, flags)
    return records, attr_list
