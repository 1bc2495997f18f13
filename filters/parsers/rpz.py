"""DNS response-policy zones: `name CNAME .` blocks, `CNAME rpz-passthru.` exceptions.

Only QNAME triggers are used; IP, NSDNAME and client-IP triggers need data this engine does not
have and are rejected with their own reason.
"""

from __future__ import annotations

import re

from filters.parsers.base import EXCEPTION, RawEntries, Rejected

_RECORD_CLASSES = frozenset({"in", "ch", "hs"})
_TTL = re.compile(r"(?:\d+[smhdw]?)+")
_NON_QNAME_TRIGGERS = (".rpz-ip", ".rpz-nsip", ".rpz-nsdname", ".rpz-client-ip")
_ZONE_RECORDS = frozenset({"soa", "ns"})
# Answers that block: NXDOMAIN, NODATA, drop, or local data pointing elsewhere.
_BLOCKING_TYPES = frozenset({"a", "aaaa", "txt"})


class RpzLineParser:
    """Stateful: tracks $ORIGIN and multi-line SOA parentheses across lines."""

    def __init__(self) -> None:
        self.origin = ""
        self.apex: str | None = None  # the zone's own name: the first $ORIGIN
        self._in_parens = False

    def __call__(self, line: str) -> RawEntries:
        """Parse one zone-file line."""
        if ";" in line:
            line = line.split(";", 1)[0]
        if self._in_parens:
            if ")" in line:
                self._in_parens = False
            return ()
        words = line.split()
        if not words:
            return ()
        if words[0].startswith("$"):
            if words[0].upper() == "$ORIGIN" and len(words) > 1:
                self.origin = words[1].lower().rstrip(".")
                if self.apex is None:
                    self.apex = self.origin
            return ()
        if line[0] in " \t":
            return ()  # a record for the previous owner (the zone's NS lines)
        owner, rest = words[0], [w.lower() for w in words[1:]]
        while rest and (_TTL.fullmatch(rest[0]) or rest[0] in _RECORD_CLASSES):
            rest = rest[1:]  # optional TTL and class
        if not rest:
            raise Rejected("record without a type")
        rtype, rdata = rest[0], rest[1:]
        if rtype in _ZONE_RECORDS or owner == "@":
            if "(" in line and ")" not in line:
                self._in_parens = True
            return ()
        name = self._absolute(owner)
        if name.endswith(_NON_QNAME_TRIGGERS):
            raise Rejected("non-qname trigger")
        if rtype == "cname" and rdata:
            target = rdata[0]
            if target == "rpz-passthru.":
                return ((name, EXCEPTION),)
            if target in (".", "*.", "rpz-drop.") or not target.startswith("rpz-"):
                return ((name, 0),)
            raise Rejected(f"unsupported policy {target}")
        if rtype in _BLOCKING_TYPES:
            return ((name, 0),)
        raise Rejected(f"unsupported record type {rtype.upper()}")

    def _absolute(self, owner: str) -> str:
        """The trigger name: the owner made absolute (RFC 1035), less the zone's own name."""
        if owner.endswith("."):
            full = owner[:-1]
        elif self.origin:
            full = f"{owner}.{self.origin}"
        else:
            return owner  # no $ORIGIN: owners are the trigger names as written
        if self.apex and full.lower().endswith("." + self.apex):
            return full[: -len(self.apex) - 1]
        return full
