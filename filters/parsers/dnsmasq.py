"""dnsmasq lists: `address=/name/...`, `server=/name/` and `local=/name/`, several names each."""

from __future__ import annotations

from filters.parsers.base import EXCEPTION, RawEntries, Rejected

_DIRECTIVES = ("address=", "server=", "local=")


def parse_dnsmasq_line(line: str) -> RawEntries:
    """A directive whose `/name/name/` part lists the names; the value says what it does."""
    text = line.strip()
    if not text or text.startswith("#"):
        return ()
    for space in (" #", "\t#"):  # dnsmasq reads "#" after white space as a comment
        text = text.split(space, 1)[0].rstrip()
    directive, sep, rest = text.partition("=")
    if not sep or directive + "=" not in _DIRECTIVES:
        raise Rejected("not an address=, server= or local= line")
    if not rest.startswith("/") or rest.count("/") < 2:
        raise Rejected("directive without /name/")
    *names, value = rest[1:].split("/")
    names = [n for n in names if n]
    if not names:
        raise Rejected("directive without /name/")
    value = value.strip()
    flags = 0
    if directive == "server":
        if value == "#":
            flags = EXCEPTION  # "use the normal upstreams" for these names: an exception
        elif value:
            raise Rejected("forwarding rule, not a block")
    elif directive == "address" and value == "#":
        flags = 0  # dnsmasq answers 0.0.0.0/:: for "#": a block
    return [(name, flags) for name in names]
