"""List parsers, one per format, and `open_list` which detects the format and reads a file."""

from __future__ import annotations

from collections.abc import Iterator
from itertools import islice
from pathlib import Path
from typing import TextIO

from filters.parsers.adblock import parse_adblock_line
from filters.parsers.base import (
    EXCEPTION,
    SUBDOMAINS_ONLY,
    Entry,
    LineParser,
    ParseReport,
    parse_lines,
)
from filters.parsers.detect import SAMPLE_LINES, detect_format
from filters.parsers.dnsmasq import parse_dnsmasq_line
from filters.parsers.domains import parse_domains_line
from filters.parsers.hosts import parse_hosts_line
from filters.parsers.rpz import RpzLineParser

FORMATS = ("domains", "hosts", "adblock", "dnsmasq", "rpz")

__all__ = [
    "EXCEPTION",
    "FORMATS",
    "SUBDOMAINS_ONLY",
    "Entry",
    "ParseReport",
    "detect_format",
    "file_format",
    "line_parser",
    "parse_file",
]


def line_parser(fmt: str) -> LineParser:
    """A fresh line parser for a format (RPZ keeps state, so never share one)."""
    parsers: dict[str, LineParser] = {
        "domains": parse_domains_line,
        "hosts": parse_hosts_line,
        "adblock": parse_adblock_line,
        "dnsmasq": parse_dnsmasq_line,
    }
    if fmt == "rpz":
        return RpzLineParser()
    try:
        return parsers[fmt]
    except KeyError:
        raise ValueError(f"unknown list format {fmt!r} (known: {', '.join(FORMATS)})") from None


def _open_text(path: Path) -> TextIO:
    # utf-8-sig drops a BOM; universal newlines accept CRLF; surrogateescape keeps junk bytes
    # so the name check can reject them as binary data instead of failing the whole file.
    return path.open(encoding="utf-8-sig", errors="surrogateescape", newline=None)


def file_format(path: Path, declared: str = "auto") -> str:
    """The declared format, or the detected one for "auto"."""
    if declared != "auto":
        return declared
    with _open_text(path) as fh:
        return detect_format(islice(fh, SAMPLE_LINES * 5))


def parse_file(path: Path, fmt: str, report: ParseReport, extra_flags: int = 0) -> Iterator[Entry]:
    """Stream normalised entries from a list file; `report` collects counts as it goes."""
    parser = line_parser(file_format(path, fmt))
    with _open_text(path) as fh:
        yield from parse_lines(fh, parser, report, extra_flags)
