"""Render an entry back in its list's own syntax, so staff see the rule as the list wrote it."""

from __future__ import annotations

from filters.parsers.base import EXCEPTION, NOT_A_NAME, PAGE, PREFIX, SUBDOMAINS_ONLY


def render_rule(fmt: str, name: str, flags: int) -> str:
    """The canonical line for `name` (a name, a network or a page) with `flags` in format `fmt`."""
    exception = bool(flags & EXCEPTION)
    if flags & NOT_A_NAME:
        return _render_other(fmt, name, flags)
    wildcard = "*." if flags & SUBDOMAINS_ONLY else ""
    if fmt == "adblock":
        return f"{'@@' if exception else ''}||{wildcard}{name}^"
    if fmt == "hosts":
        return f"0.0.0.0 {wildcard}{name}"
    if fmt == "dnsmasq":
        return f"server=/{name}/#" if exception else f"address=/{name}/"
    if fmt == "rpz":
        return f"{wildcard}{name} CNAME {'rpz-passthru.' if exception else '.'}"
    return f"{wildcard}{name}"


def _render_other(fmt: str, entry: str, flags: int) -> str:
    """Addresses and pages exist in adblock and plain lists only."""
    if fmt != "adblock":
        return entry
    end = "" if flags & PAGE and flags & PREFIX else "^"
    return f"{'@@' if flags & EXCEPTION else ''}||{entry}{end}"
