"""Aggregate portal counters: how phones find the splash and how many get online.

Counts only. The one piece of per-phone state is the set of addresses that saw the splash and
have not connected yet, kept in memory, bounded, and left as soon as the phone gets online; it
exists only to count conversions and is never exposed.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

from gateway.portal.probes import OS_FAMILIES
from gateway.portal.sessions import ONLINE_RESULTS, AdmitResult

CONNECT_RESULTS: tuple[AdmitResult, ...] = ("admitted", "already", "moved", "full")

# Many more phones than a hotspot ever holds, yet a few hundred KB at most.
DEFAULT_PENDING_LIMIT = 4096


class PortalStats:
    """Thread-safe portal counters; snapshot() gives them as one flat dict."""

    def __init__(self, pending_limit: int = DEFAULT_PENDING_LIMIT) -> None:
        self._lock = threading.Lock()
        self._pending_limit = pending_limit
        # Insertion-ordered, so the oldest splash view is forgotten first when the set is full.
        self._saw_splash: OrderedDict[str, None] = OrderedDict()
        keys = [f"probes_{family}" for family in OS_FAMILIES]
        keys += [f"connects_{result}" for result in CONNECT_RESULTS]
        keys += [
            "pages_redirected",
            "splash_views",
            "admitted_after_wait",
            "splash_then_online",
            "block_pages",
            "already_online_pages",
            "connects_rejected_token",
        ]
        self._counts: dict[str, int] = dict.fromkeys(keys, 0)

    def _add(self, key: str) -> None:
        with self._lock:
            self._counts[key] += 1

    def count_redirect(self, family: str | None) -> None:
        """A phone that is not admitted was sent to the splash: by OS probe family, or a page."""
        self._add(f"probes_{family}" if family in OS_FAMILIES else "pages_redirected")

    def count_splash_view(self, client_ip: str) -> None:
        """A phone that is not admitted saw the splash."""
        with self._lock:
            self._counts["splash_views"] += 1
            self._saw_splash[client_ip] = None
            self._saw_splash.move_to_end(client_ip)
            while len(self._saw_splash) > self._pending_limit:
                self._saw_splash.popitem(last=False)

    def count_connect(self, client_ip: str, result: AdmitResult) -> None:
        """Connect was pressed with this result."""
        with self._lock:
            self._counts[f"connects_{result}"] += 1
            if result in ONLINE_RESULTS:
                self._converted(client_ip)

    def count_admitted_after_wait(self, client_ip: str) -> None:
        """A phone waiting on the full page got a free place without another tap."""
        with self._lock:
            self._counts["admitted_after_wait"] += 1
            self._converted(client_ip)

    def _converted(self, client_ip: str) -> None:
        # Called with the lock held.
        if client_ip in self._saw_splash:
            del self._saw_splash[client_ip]
            self._counts["splash_then_online"] += 1

    def count_block_page(self) -> None:
        """An admitted phone was shown the block page."""
        self._add("block_pages")

    def count_already_online_page(self) -> None:
        """An admitted phone reached the portal on a foreign name (a stale DNS answer)."""
        self._add("already_online_pages")

    def count_rejected_token(self) -> None:
        """Connect was pressed with a missing, forged or expired token."""
        self._add("connects_rejected_token")

    def snapshot(self) -> dict[str, int]:
        """All counters now, plus how many splash viewers have not connected yet."""
        with self._lock:
            counts = dict(self._counts)
            counts["splash_pending"] = len(self._saw_splash)
        return counts
