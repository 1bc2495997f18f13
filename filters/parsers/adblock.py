"""Adblock-style lists: `||name^` blocks, `@@||name^` exceptions, `!` comments.

Rules that mean "this domain and its subdomains" are honoured, and so are the two narrower kinds
the proxy can check: a page (`||name/path`, for plain HTTP) and an address (`||192.0.2.1^`, for
connections that name no server). Rules whose meaning depends on what neither can see (a request
type, a regular expression, cosmetic filtering) are rejected and counted by kind, so a list's
rule is never applied more broadly or narrowly than its author wrote it.
"""

from __future__ import annotations

from filters.parsers.base import ADDRESS, EXCEPTION, PAGE, PREFIX, RawEntries, Rejected
from filters.url_rules import parse_network

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
    target, kind = _target_of(pattern)
    return ((target, flags | kind),)


def _target_of(pattern: str) -> tuple[str, int]:
    """The domain, page or address of `||name^`, `||name/path`, `|http://name^`, a bare name."""
    if pattern.startswith("||"):
        pattern = pattern[2:]
    elif pattern.startswith("|"):
        scheme, sep, rest = pattern[1:].partition("://")
        if not sep or scheme not in ("http", "https"):
            raise Rejected("address pattern")
        pattern = rest
    bare = pattern.removesuffix("|").removesuffix("^")
    if parse_network(bare) is not None:  # before the path split: "192.0.2.0/24" is a network
        return bare, ADDRESS
    host, slash, path = pattern.partition("/")
    if slash and path.rstrip("^|/"):
        return _page_of(host, path)
    pattern = host.removesuffix("|").removesuffix("^")
    if "?" in pattern:
        raise Rejected("path rule")
    if "^" in pattern or "|" in pattern:
        raise Rejected("separator inside a pattern")
    if "*" in pattern.removeprefix("*."):
        raise Rejected("wildcard pattern")
    if ":" in pattern:
        raise Rejected("port rule")
    return pattern, 0


def _page_of(host: str, path: str) -> tuple[str, int]:
    """A page rule: `path^` ends at a separator; a bare `path` matches any continuation."""
    if path.endswith("|"):
        raise Rejected("exact address rule")
    kind = PAGE
    if path.endswith("^"):
        path = path[:-1]
    else:
        kind |= PREFIX
    if "^" in host or "^" in path or "|" in path:
        raise Rejected("separator inside a pattern")
    if "*" in path or "*" in host:
        raise Rejected("wildcard pattern")
    return f"{host}/{path}", kind
