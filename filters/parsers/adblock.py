"""Adblock-style lists: `||name^` blocks, `@@||name^` exceptions, `!` comments.

Only rules that mean "this domain and its subdomains" are honoured. Rules whose meaning depends
on what DNS cannot see (a page, a path, a request type) are rejected and counted by kind, so a
list's rule is never applied more broadly or narrowly than its author wrote it.
"""

from __future__ import annotations

from filters.parsers.base import EXCEPTION, RawEntries, Rejected

_COSMETIC_MARKERS = ("##", "#@#", "#?#", "#$#", "#%#", "$$", "$@$")


def parse_adblock_line(line: str) -> RawEntries:
    """One network rule for a whole domain; anything narrower or fancier is rejected."""
    text = line.strip()
    if not text or text.startswith(("!", "[")) or text.startswith("# ") or text == "#":
        return ()
    if any(marker in text for marker in _COSMETIC_MARKERS):
        raise Rejected("cosmetic rule")
    flags = 0
    if text.startswith("@@"):
        flags = EXCEPTION
        text = text[2:]
    if len(text) > 1 and text.startswith("/") and text.endswith("/"):
        raise Rejected("regular expression")
    pattern, _, options = text.partition("$")
    if options:
        first = options.split(",")[0].split("=")[0].lstrip("~")
        raise Rejected(f"unsupported option ${first}")
    return ((_domain_of(pattern), flags),)


def _domain_of(pattern: str) -> str:
    """The domain of `||name^`, `||name^|`, `||name`, `|http://name^` or a bare name."""
    if pattern.startswith("||"):
        pattern = pattern[2:]
    elif pattern.startswith("|"):
        scheme, sep, rest = pattern[1:].partition("://")
        if not sep or scheme not in ("http", "https"):
            raise Rejected("address pattern")
        pattern = rest
    pattern = pattern.removesuffix("|").removesuffix("^")
    if pattern.endswith("/"):
        pattern = pattern[:-1]
    if "/" in pattern or "?" in pattern:
        raise Rejected("path rule")
    if "^" in pattern or "|" in pattern:
        raise Rejected("separator inside a pattern")
    if "*" in pattern.removeprefix("*."):
        raise Rejected("wildcard pattern")
    if ":" in pattern:
        raise Rejected("port rule")
    return pattern
