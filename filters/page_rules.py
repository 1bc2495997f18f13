"""Which listed page covers a plain HTTP request: a host (or a parent of it) and a path.

A page entry covers its host and the names under it, as a name entry does, and the request
targets under its path: "example.com/judi" covers "/judi", "/judi/", "/judi?x" but not
"/judicial"; an adblock rule without a closing separator ("||example.com/judi") covers any
target that starts with its path, as adblock does.
"""

from __future__ import annotations

from collections.abc import Iterable

from filters.parsers.base import EXCEPTION, PREFIX
from filters.url_rules import normalise_target, split_page

# (entry as listed, source index, flags): what decided, for the verdict.
PageEntry = tuple[str, int, int]

_WORD_CHARACTERS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789_-.%")


def covers(rule_target: str, flags: int, target: str) -> bool:
    """True when a rule's normalised path covers a normalised request target."""
    if not target.startswith(rule_target):
        return False
    if flags & PREFIX or len(target) == len(rule_target) or rule_target.endswith("/"):
        return True
    # adblock's "^": whatever follows must start a new part of the address.
    return target[len(rule_target)] not in _WORD_CHARACTERS


def _rank(entry: PageEntry, path_len: int) -> tuple[int, int, int]:
    """Lower wins: exceptions beat blocks, then the longer path, then the earlier source."""
    _listed, source, flags = entry
    return (0 if flags & EXCEPTION else 1, -path_len, source)


class PageRules:
    """Page entries by host, for HTTP requests whose host itself is not listed."""

    def __init__(self, entries: Iterable[PageEntry]) -> None:
        self._by_host: dict[str, list[tuple[str, PageEntry]]] = {}
        for entry in entries:
            host, target = split_page(entry[0])
            self._by_host.setdefault(host, []).append((target, entry))
        self.count = sum(len(rules) for rules in self._by_host.values())

    def __len__(self) -> int:
        return self.count

    def match(self, host: str, target: str) -> PageEntry | None:
        """The entry that decides a request for `target` on the (normalised) `host`, or None."""
        if not self._by_host:
            return None
        target = normalise_target(target)
        best: PageEntry | None = None
        best_rank = (2, 0, 0)
        suffix = host
        while suffix:
            for rule_target, entry in self._by_host.get(suffix, ()):
                if not covers(rule_target, entry[2], target):
                    continue
                rank = _rank(entry, len(rule_target))
                if rank < best_rank:
                    best, best_rank = entry, rank
            suffix = suffix.partition(".")[2]
        return best
