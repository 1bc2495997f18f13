"""What every list parser shares: entry flags, the per-source report, and the line driver."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from filters.names import InvalidName, normalise_name
from filters.url_rules import canonical_network, canonical_page

# Entry flags, kept as small ints because a 10-million-line list makes one per line.
EXCEPTION = 1  # the entry allows (adblock @@, RPZ passthru, an allow-list source)
SUBDOMAINS_ONLY = 2  # "*.name": blocks what is under the name, not the name itself
ADDRESS = 4  # the entry is an IP address or network, for connections that name no server
PAGE = 8  # the entry is a host and a path ("example.com/judi"), for plain HTTP requests
PREFIX = 16  # a PAGE entry matches any request target that starts with its path (adblock)
NOT_A_NAME = ADDRESS | PAGE

MAX_EXAMPLES = 3

# A parsed entry: (normalised name, flags, line number).
Entry = tuple[str, int, int]
# What a format's line parser returns: raw names with their flags.
RawEntries = Iterable[tuple[str, int]]
LineParser = Callable[[str], RawEntries]


class Rejected(Exception):
    """A line that carries a rule this engine cannot use; `reason` is countable."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Ignored(Exception):
    """A line that is not a block and not an error (the usual `localhost` hosts lines)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass
class ParseReport:
    """Counts for one source: entries taken, lines rejected and ignored by reason, examples."""

    entries: int = 0
    lines: int = 0
    rejected: Counter[str] = field(default_factory=Counter)
    ignored: Counter[str] = field(default_factory=Counter)
    examples: dict[str, list[tuple[int, str]]] = field(default_factory=dict)

    def reject(self, reason: str, line_number: int, line: str) -> None:
        """Count a rejected line and keep the first few as examples."""
        self.rejected[reason] += 1
        shown = self.examples.setdefault(reason, [])
        if len(shown) < MAX_EXAMPLES:
            shown.append((line_number, line.strip()[:120]))

    @property
    def rejected_total(self) -> int:
        """All rejected lines."""
        return sum(self.rejected.values())

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready summary for snapshot metadata and `blocklist stats`."""
        return {
            "entries": self.entries,
            "lines": self.lines,
            "rejected": dict(self.rejected),
            "ignored": dict(self.ignored),
            "examples": {k: [list(e) for e in v] for k, v in self.examples.items()},
        }


def entry_from_raw(raw: str, flags: int) -> tuple[str, int]:
    """Normalise one raw name, turning a leading "*." into the SUBDOMAINS_ONLY flag."""
    if flags & ADDRESS:
        return canonical_network(raw), flags
    if flags & PAGE:
        return canonical_page(raw), flags
    if raw.startswith("*."):
        raw = raw[2:]
        flags |= SUBDOMAINS_ONLY
    return normalise_name(raw), flags


def parse_lines(
    lines: Iterable[str], parse_line: LineParser, report: ParseReport, extra_flags: int = 0
) -> Iterator[Entry]:
    """Run a format's line parser over text lines; bad lines are counted, never fatal."""
    for number, line in enumerate(lines, start=1):
        report.lines = number
        try:
            raw_entries = parse_line(line)
        except Rejected as exc:
            report.reject(exc.reason, number, line)
            continue
        except Ignored as exc:
            report.ignored[exc.reason] += 1
            continue
        invalid: InvalidName | None = None
        for raw, flags in raw_entries:
            # One bad name on a hosts or dnsmasq line must not cost the good ones beside it.
            try:
                name, flags = entry_from_raw(raw, flags | extra_flags)
            except InvalidName as exc:
                invalid = invalid or exc
                continue
            report.entries += 1
            yield name, flags, number
        if invalid is not None:
            report.reject(invalid.reason, number, line)
