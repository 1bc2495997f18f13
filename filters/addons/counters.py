"""Counts of the proxy's filtering decisions, by event and category, for metrics and staff."""

from __future__ import annotations

import threading
from collections import Counter

# Events the addons count; one name per decision so a metric never has to parse a reason.
SNI_BLOCKED = "sni_blocked"
SNI_ALLOWED = "sni_allowed"
NO_SNI_BLOCKED = "no_sni_blocked"
NO_SNI_ALLOWED = "no_sni_allowed"
HTTP_BLOCKED = "http_blocked"
SNI_HOST_MISMATCH = "sni_host_mismatch"
FIRST_MESSAGE_LATE = "first_message_late"
FIRST_MESSAGE_OVERSIZED = "first_message_oversized"

NO_CATEGORY = "-"


class ProxyCounters:
    """Thread-safe totals by (event, category); no names and no residents, only numbers."""

    def __init__(self) -> None:
        # mitmproxy runs hooks on one event loop, but the stats exporter reads from another
        # thread, so reads and writes share a lock.
        self._lock = threading.Lock()
        self._counts: Counter[tuple[str, str]] = Counter()

    def count(self, event: str, category: str | None = None) -> None:
        """Add one to an event, under its category (or under "-" when it has none)."""
        with self._lock:
            self._counts[(event, category or NO_CATEGORY)] += 1

    def get(self, event: str, category: str | None = None) -> int:
        """The count of one event in one category; all categories if category is None."""
        with self._lock:
            if category is not None:
                return self._counts[(event, category)]
            return sum(n for (name, _), n in self._counts.items() if name == event)

    def to_json(self) -> dict[str, dict[str, int]]:
        """Every count as {event: {category: count}}, for the stats file."""
        nested: dict[str, dict[str, int]] = {}
        for (event, category), count in self.snapshot().items():
            nested.setdefault(event, {})[category] = count
        return nested

    def snapshot(self) -> dict[tuple[str, str], int]:
        """A copy of every count, keyed by (event, category)."""
        with self._lock:
            return dict(self._counts)
