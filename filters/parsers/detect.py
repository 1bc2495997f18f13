"""Guess a list's format from its first meaningful lines."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

SAMPLE_LINES = 200

_HOSTS = re.compile(r"^\s*(?:\d{1,3}(?:\.\d{1,3}){3}|[0-9a-fA-F:]*:[0-9a-fA-F:.]*)\s+\S")
_RPZ = re.compile(r"^\S+\s+(?:\d+\s+)?(?:IN\s+)?CNAME\s+\S+\s*$", re.IGNORECASE)


def _vote(line: str) -> str | None:
    text = line.strip()
    if not text:
        return None
    if text.startswith(("$TTL", "$ORIGIN")) or " SOA " in text or _RPZ.match(text):
        return "rpz"
    if text.startswith(("||", "@@", "[Adblock", "! ")) or text.endswith("^"):
        return "adblock"
    if text.startswith(("address=/", "server=/", "local=/")):
        return "dnsmasq"
    if text.startswith(("#", "!", ";")):
        return None
    if _HOSTS.match(text):
        return "hosts"
    return "domains"


def detect_format(lines: Iterable[str]) -> str:
    """Return one of domains, hosts, adblock, dnsmasq or rpz by majority of sampled lines."""
    votes: Counter[str] = Counter()
    for number, line in enumerate(lines):
        if number >= SAMPLE_LINES * 5 or sum(votes.values()) >= SAMPLE_LINES:
            break
        vote = _vote(line)
        if vote:
            votes[vote] += 1
    if not votes:
        return "domains"
    # A plain name is a valid adblock rule too: any `||` rule among plain names means adblock.
    if votes["adblock"] and set(votes) <= {"adblock", "domains"}:
        return "adblock"
    # RPZ and adblock headers are decisive: their bodies can look like plain names.
    for decisive in ("rpz", "adblock", "dnsmasq"):
        if votes[decisive] * 4 >= sum(votes.values()):
            return decisive
    return votes.most_common(1)[0][0]
