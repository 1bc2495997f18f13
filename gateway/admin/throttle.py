"""A growing delay after failed logins, by account and by address, so guessing is slow.

The first few failures cost nothing (people mistype); after that each failure doubles the wait
before the next try, up to a quarter of an hour. Counted both by the name tried and by the
address trying, so neither one guesser across many names nor many addresses against one name
gets far. A success clears both.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable

FREE_FAILURES = 3
FIRST_DELAY = 2.0  # seconds, after the free failures
MAX_DELAY = 900.0
FORGET_AFTER = 3600.0  # a key quiet this long starts afresh


class LoginThrottle:
    """Failed-login counts and when each key may try again."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._failures: dict[str, tuple[int, float]] = {}  # key -> (count, last failure)

    def wait(self, keys: Iterable[str], now: float) -> float:
        """Seconds before these keys may try again (0 if they may now)."""
        with self._lock:
            return max((self._wait(key, now) for key in keys), default=0.0)

    def _wait(self, key: str, now: float) -> float:
        count, last = self._failures.get(key, (0, 0.0))
        if now - last > FORGET_AFTER:
            return 0.0
        if count < FREE_FAILURES:
            return 0.0
        delay = min(MAX_DELAY, FIRST_DELAY * 2.0 ** (count - FREE_FAILURES))
        return max(0.0, last + delay - now)

    def failed(self, keys: Iterable[str], now: float) -> None:
        """Count a failure against each key."""
        with self._lock:
            for key in keys:
                count, last = self._failures.get(key, (0, 0.0))
                if now - last > FORGET_AFTER:
                    count = 0
                self._failures[key] = (count + 1, now)

    def succeeded(self, keys: Iterable[str]) -> None:
        """A right password: these keys start afresh."""
        with self._lock:
            for key in keys:
                self._failures.pop(key, None)
