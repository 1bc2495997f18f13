"""Find the line of a list file that gave an entry, for staff asking "which line blocks this?".

Snapshots do not store line numbers (4 bytes a name, for a question asked a few times a day);
this scans the source's last good copy instead, parsing only lines that mention the name.
"""

from __future__ import annotations

from pathlib import Path

from filters.parsers import ParseReport, line_parser
from filters.parsers.base import parse_lines


def find_line(path: Path, fmt: str, listed: str, flags: int, extra_flags: int = 0) -> int | None:
    """The first line of `path` whose entry is `listed` with `flags`; None if none is."""
    parser = line_parser(fmt)
    report = ParseReport()
    with path.open(encoding="utf-8-sig", errors="surrogateescape", newline=None) as fh:
        for number, line in enumerate(fh, start=1):
            # Cheap test first; zone directives and Unicode lines are always parsed.
            if listed not in line.lower() and line.isascii() and not line.startswith("$"):
                continue
            for name, entry_flags, _ in parse_lines([line], parser, report, extra_flags):
                if name == listed and entry_flags == flags:
                    return number
    return None
