"""Typed request and response that flow through the resolver chain."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from dnslib import DNSRecord


class Transport(Enum):
    """How the query reached us."""

    UDP = "udp"
    TCP = "tcp"


class Outcome(Enum):
    """Who answered, for counters and the "why" of an answer."""

    RESOLVED = "resolved"  # from an upstream
    BLOCKED = "blocked"
    SPECIAL = "special"  # answered by the gateway itself (special names)
    CACHED = "cached"
    STALE = "stale"  # an expired cached answer, served because every upstream failed
    SERVFAIL = "servfail"
    REFUSED = "refused"  # over the rate limit
    DROPPED = "dropped"  # not ours to answer: no reply is sent


@dataclass(frozen=True)
class DnsRequest:
    """One query: who asked, how, and the parsed message."""

    client: str
    transport: Transport
    message: DNSRecord

    @property
    def qname(self) -> str:
        """The question's name, lowercase, without the root dot."""
        return str(self.message.q.qname).rstrip(".").lower()


@dataclass(frozen=True)
class DnsResponse:
    """The answer and why it is what it is ("blocked: gambling (judi)")."""

    message: DNSRecord
    outcome: Outcome
    reason: str = ""
    category: str | None = None  # for blocked answers
