"""The opt-in query log: off by default, client addresses anonymised, old days deleted.

Residents' privacy comes first: with `[dns] query_log = false` (the default) nothing about
single queries is written anywhere. When a city turns it on to investigate abuse, each line
holds the client's network (/24 for IPv4, /48 for IPv6), never the phone's own address, and
files older than `query_log_days` are deleted.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TextIO

import netaddr

from gateway.dns.model import DnsRequest, DnsResponse
from gateway.dns.resolver import ChainedResolver, Resolver


def anonymise(address: str) -> str:
    """The network a client is in, not the client: IPv4 /24, IPv6 /48."""
    try:
        ip = netaddr.IPAddress(address)
    except (netaddr.AddrFormatError, ValueError):
        return "unknown"
    prefix = 24 if ip.version == 4 else 48
    return str(netaddr.IPNetwork(f"{ip}/{prefix}").cidr)


class QueryLog:
    """Daily JSON-lines files under `directory`, pruned to `days`."""

    def __init__(self, directory: Path, days: int, clock: Callable[[], float] = time.time) -> None:
        self.directory = directory
        self.days = days
        self.clock = clock
        self._day: str | None = None
        self._file: TextIO | None = None

    def write(self, request: DnsRequest, response: DnsResponse) -> None:
        """Append one anonymised line."""
        now = datetime.fromtimestamp(self.clock(), UTC)
        day = now.strftime("%Y-%m-%d")
        if day != self._day:
            self._rotate(day, now)
        assert self._file is not None
        line = {
            "time": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "client": anonymise(request.client),
            "name": request.qname,
            "type": request.message.q.qtype,
            "outcome": response.outcome.value,
            "reason": response.reason,
        }
        self._file.write(json.dumps(line, separators=(",", ":")) + "\n")
        self._file.flush()

    def _rotate(self, day: str, now: datetime) -> None:
        self.close()
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o750)
        self._file = (self.directory / f"queries-{day}.jsonl").open("a", encoding="utf-8")
        self._day = day
        oldest = (now - timedelta(days=self.days)).strftime("%Y-%m-%d")
        for path in self.directory.glob("queries-*.jsonl"):
            if path.stem.removeprefix("queries-") < oldest:
                path.unlink(missing_ok=True)

    def close(self) -> None:
        """Close the current file."""
        if self._file is not None:
            self._file.close()
            self._file = None


class QueryLogResolver(ChainedResolver):
    """Writes every answered query to the log after the rest of the chain has answered."""

    def __init__(self, next_resolver: Resolver, log: QueryLog) -> None:
        super().__init__(next_resolver)
        self.log = log

    async def resolve(self, request: DnsRequest) -> DnsResponse:
        """Answer, then log."""
        response = await self.next.resolve(request)
        self.log.write(request, response)
        return response
