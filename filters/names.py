"""Domain name normalisation and the reversed-key form the matcher stores.

Names are stored as keys reversed with a closing dot ("example.com" -> "moc.elpmaxe."), so the
key of every listed parent of a queried name is a prefix of the query's own key, ending on a
label boundary; SuffixTable (filters/_suffixtable.c) hashes exactly those prefixes.
"""

from __future__ import annotations

import re

import idna

MAX_NAME_LENGTH = 253
MAX_LABEL_LENGTH = 63

# Underscores are legal in DNS names (not in host names) and appear in real lists; a hyphen at
# either end of a label is invalid for host names yet resolves, so blocking must accept it.
_VALID_ASCII = re.compile(r"[a-z0-9_-]{1,63}(?:\.[a-z0-9_-]{1,63})*")
_IPV4ISH = re.compile(r"[0-9.]+")


class InvalidName(ValueError):
    """A string is not a usable domain name; `reason` is a short, countable cause."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def normalise_name(raw: str) -> str:
    """Return the canonical ASCII form of a name (lowercase, punycode, no trailing dot)."""
    name = raw.strip()
    if name.endswith("."):
        name = name[:-1]
    if not name:
        raise InvalidName("empty name")
    if not name.isascii():
        # Mapping can turn a fullwidth or ideographic full stop at the end into ".".
        name = _to_ascii(name).removesuffix(".")
    name = name.lower()
    if _VALID_ASCII.fullmatch(name) and len(name) <= MAX_NAME_LENGTH:
        if _IPV4ISH.fullmatch(name) and name.count(".") == 3:
            raise InvalidName("ip address, not a name")
        return name
    raise InvalidName(_why_invalid(name))


def _to_ascii(name: str) -> str:
    """IDNA 2008 with UTS 46 mapping, as browsers do for what users type."""
    if any(not ch.isprintable() or "\udc80" <= ch <= "\udcff" for ch in name):
        raise InvalidName("binary data")
    try:
        mapped = idna.uts46_remap(name, std3_rules=False, transitional=False)
        # Only Unicode labels go through IDNA: idna.encode would also hold ASCII labels to
        # host-name rules and reject "_dmarc" beside a Unicode label.
        return ".".join(
            label if label.isascii() else idna.alabel(label).decode("ascii")
            for label in mapped.split(".")
        )
    except (idna.IDNAError, UnicodeError):
        raise InvalidName("invalid internationalised name") from None


def _why_invalid(name: str) -> str:
    if len(name) > MAX_NAME_LENGTH:
        return "name longer than 253 bytes"
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in name):
        return "binary data"
    labels = name.split(".")
    if any(not label for label in labels):
        return "empty label"
    if any(len(label) > MAX_LABEL_LENGTH for label in labels):
        return "label longer than 63 bytes"
    if ":" in name:
        return "ip address, not a name"
    if "*" in name:
        return "wildcard inside a name"
    return "invalid character"


def name_key(name: str) -> str:
    """The stored key of a normalised name."""
    return name[::-1] + "."


def key_name(key: str) -> str:
    """The name a stored key stands for."""
    return key[-2::-1]
