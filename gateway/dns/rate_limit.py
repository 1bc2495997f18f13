"""Per-client token buckets for `[dns].rate_limit` (the Front refuses a client past its rate).

A phone stuck in a retry loop, or a scanner on the hotspot, then costs a dictionary lookup per
query instead of upstream traffic for everyone.
"""

from __future__ import annotations

import time
from collections.abc import Callable

BURST_SECONDS = 2.0  # a client may save up this many seconds of queries (page loads burst)
FORGET_AFTER = 60.0  # buckets idle this long are dropped, so memory follows active clients


class TokenBuckets:
    """One bucket per client address; pure apart from the injected clock."""

    def __init__(self, rate: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate = rate
        self.capacity = rate * BURST_SECONDS
        self.clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}  # client -> (tokens, when)
        self._last_sweep = clock()

    def allow(self, client: str) -> bool:
        """Take one token for `client`; False when its bucket is empty."""
        now = self.clock()
        tokens, when = self._buckets.get(client, (self.capacity, now))
        tokens = min(self.capacity, tokens + (now - when) * self.rate)
        allowed = tokens >= 1.0
        self._buckets[client] = (tokens - 1.0 if allowed else tokens, now)
        if now - self._last_sweep > FORGET_AFTER:
            self._sweep(now)
        return allowed

    def _sweep(self, now: float) -> None:
        self._last_sweep = now
        for client in [c for c, (_, when) in self._buckets.items() if now - when > FORGET_AFTER]:
            del self._buckets[client]

    def __len__(self) -> int:
        return len(self._buckets)
