"""Build the fingerprint table that answers lookups (the C type lives in _suffixtable.c)."""

from __future__ import annotations

from collections.abc import Iterable

from filters._suffixtable import SuffixTable

# Slots per key: at 0.8 full, linear probing needs about 3 probes for a miss and 1.5 for a hit.
LOAD_FACTOR = 0.8

__all__ = ["LOAD_FACTOR", "SuffixTable", "build_table"]


def build_table(items: Iterable[tuple[str, int]], count: int) -> tuple[bytearray, bytearray]:
    """Fingerprints and values for `count` (key, value) pairs, ready to write or to map."""
    slots = max(8, int(count / LOAD_FACTOR) + 1)
    table, values = bytearray(8 * slots), bytearray(2 * slots)
    insert = SuffixTable(table, values, writable=True).insert
    for key, value in items:
        insert(key, value)
    return table, values
