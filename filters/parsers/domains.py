"""Plain domain lists: one name a line, `#` comments (the raw TrustPositif file, HaGeZi domains).

The same shape carries TrustPositif's address lists (one IP or network a line) and lists of
pages (`example.com/path` or a full `http://` URL); those become ADDRESS and PAGE entries.
"""

from __future__ import annotations

from filters.parsers.base import ADDRESS, PAGE, RawEntries, Rejected
from filters.url_rules import parse_network

COMMENT_STARTS = ("#", "!", ";")


def parse_domains_line(line: str) -> RawEntries:
    """One name, optionally `*.`-prefixed, an address, or a page, with a trailing `#` comment."""
    if "#" in line:
        line = line.split("#", 1)[0]
    text = line.strip()
    if not text or text.startswith(COMMENT_STARTS):
        return ()
    if " " in text or "\t" in text:
        raise Rejected("more than one word on a line")
    if parse_network(text) is not None:
        return ((text, ADDRESS),)
    if "/" in text:
        host_and_path = text.split("://", 1)[-1]
        if "/" not in host_and_path.rstrip("/"):
            return ((host_and_path.rstrip("/"), 0),)  # "http://name/" names the whole site
        return ((text, PAGE),)
    return ((text, 0),)
