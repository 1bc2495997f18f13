"""Aggregated resolver counters in one object for the metrics endpoint; no per-client data."""

from __future__ import annotations

import bisect
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

# Upper bounds (seconds) of the upstream latency histogram's buckets.
UPSTREAM_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0)


@dataclass
class DnsCounters:
    """Totals since start; the metrics exporter (issue #7) reads them."""

    queries: int = 0
    answered: Counter[str] = field(default_factory=Counter)  # by outcome
    blocked: Counter[str] = field(default_factory=Counter)  # by category
    upstream_errors: Counter[str] = field(default_factory=Counter)  # by upstream
    upstream_seconds: float = 0.0
    upstream_answers: int = 0
    # Upstream answer times by bucket (UPSTREAM_BUCKETS, then one for anything slower), for the
    # latency histogram; and when an upstream last answered and last failed (wall clock), so
    # the uplink's state survives a quiet night.
    upstream_buckets: list[int] = field(default_factory=lambda: [0] * (len(UPSTREAM_BUCKETS) + 1))
    upstream_last_ok: float = 0.0
    upstream_last_error: float = 0.0
    malformed: int = 0
    cache_hits: int = 0

    def observe_upstream(self, seconds: float, now: float) -> None:
        """An upstream answered in `seconds`."""
        self.upstream_seconds += seconds
        self.upstream_answers += 1
        self.upstream_buckets[bisect.bisect_left(UPSTREAM_BUCKETS, seconds)] += 1
        self.upstream_last_ok = now

    def upstream_failed(self, label: str, now: float) -> None:
        """An upstream timed out or failed."""
        self.upstream_errors[label] += 1
        self.upstream_last_error = now

    def to_json(self) -> dict[str, Any]:
        """The totals as JSON-ready values, for the stats file the other processes read."""
        return {
            "queries": self.queries,
            "answered": dict(self.answered),
            "blocked": dict(self.blocked),
            "upstream_errors": dict(self.upstream_errors),
            "upstream_seconds": self.upstream_seconds,
            "upstream_answers": self.upstream_answers,
            "upstream_buckets": list(self.upstream_buckets),
            "upstream_last_ok": self.upstream_last_ok,
            "upstream_last_error": self.upstream_last_error,
            "malformed": self.malformed,
            "cache_hits": self.cache_hits,
        }

    def upstream_latency(self) -> float:
        """Mean seconds an upstream took to answer."""
        return self.upstream_seconds / self.upstream_answers if self.upstream_answers else 0.0
