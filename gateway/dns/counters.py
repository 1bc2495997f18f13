"""Aggregated resolver counters in one object for the metrics endpoint; no per-client data."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any


@dataclass
class DnsCounters:
    """Totals since start; the metrics exporter (issue #7) reads them."""

    queries: int = 0
    answered: Counter[str] = field(default_factory=Counter)  # by outcome
    blocked: Counter[str] = field(default_factory=Counter)  # by category
    upstream_errors: Counter[str] = field(default_factory=Counter)  # by upstream
    upstream_seconds: float = 0.0
    upstream_answers: int = 0
    malformed: int = 0
    cache_hits: int = 0

    def to_json(self) -> dict[str, Any]:
        """The totals as JSON-ready values, for the stats file the other processes read."""
        return {
            "queries": self.queries,
            "answered": dict(self.answered),
            "blocked": dict(self.blocked),
            "upstream_errors": dict(self.upstream_errors),
            "upstream_seconds": self.upstream_seconds,
            "upstream_answers": self.upstream_answers,
            "malformed": self.malformed,
            "cache_hits": self.cache_hits,
        }

    def upstream_latency(self) -> float:
        """Mean seconds an upstream took to answer."""
        return self.upstream_seconds / self.upstream_answers if self.upstream_answers else 0.0
