"""The must-never-block list: connectivity checks, government, banking and emergency services."""

from __future__ import annotations

from pathlib import Path

import marisa_trie

from filters.names import key_name, name_key
from filters.parsers import ParseReport, parse_file
from filters.sources import DEFAULTS_DIR

NEVER_BLOCK_FILE = DEFAULTS_DIR / "never-block.txt"


class NeverBlock:
    """Names that no list or staff block may block (staff allow is not needed for them)."""

    def __init__(self, names: list[str]) -> None:
        self.names = tuple(sorted(set(names)))
        self._trie = marisa_trie.Trie(name_key(n) for n in self.names)

    @classmethod
    def load(cls, path: Path = NEVER_BLOCK_FILE) -> NeverBlock:
        """Read a never-block file (one name a line, `#` comments)."""
        report = ParseReport()
        names = [name for name, _flags, _line in parse_file(path, "domains", report)]
        if report.rejected:
            reason, examples = next(iter(report.examples.items()))
            raise ValueError(f"{path}: line {examples[0][0]}: {reason}")
        return cls(names)

    def protected_by(self, key: str) -> str | None:
        """A never-block name that an entry with this key would block (it or a subdomain)."""
        hits = self._trie.keys(key)
        return key_name(hits[0]) if hits else None

    def shields(self, key: str) -> str | None:
        """The never-block name that covers this key, so an entry for it has no effect."""
        hits = self._trie.prefixes(key)
        return key_name(hits[-1]) if hits else None
