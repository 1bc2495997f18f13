"""Plain domain lists: one name a line, `#` comments (the raw TrustPositif file, HaGeZi domains)."""

from __future__ import annotations

from filters.parsers.base import RawEntries, Rejected

COMMENT_STARTS = ("#", "!", ";")


def parse_domains_line(line: str) -> RawEntries:
    """One name, optionally `*.`-prefixed, with an optional trailing `#` comment."""
    if "#" in line:
        line = line.split("#", 1)[0]
    text = line.strip()
    if not text or text.startswith(COMMENT_STARTS):
        return ()
    if " " in text or "\t" in text:
        raise Rejected("more than one word on a line")
    if "/" in text:
        raise Rejected("url or path, not a name")
    return ((text, 0),)
