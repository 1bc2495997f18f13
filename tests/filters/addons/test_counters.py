"""ProxyCounters: totals by event and category, safe across threads."""

from __future__ import annotations

import threading

from filters.addons import ProxyCounters, default_addons
from filters.addons.counters import SNI_BLOCKED
from filters.engine import BlocklistEngine


def test_counts_by_category_and_in_total() -> None:
    counters = ProxyCounters()
    counters.count(SNI_BLOCKED, "gambling")
    counters.count(SNI_BLOCKED, "porn")
    counters.count(SNI_BLOCKED, "porn")
    counters.count("other")
    assert counters.get(SNI_BLOCKED, "porn") == 2
    assert counters.get(SNI_BLOCKED) == 3
    assert counters.snapshot()[("other", "-")] == 1


def test_concurrent_counts_are_not_lost() -> None:
    counters = ProxyCounters()

    def work() -> None:
        for _ in range(10_000):
            counters.count(SNI_BLOCKED, "porn")

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert counters.get(SNI_BLOCKED, "porn") == 80_000


def test_default_addons_order_and_shared_counters(engine: BlocklistEngine) -> None:
    counters = ProxyCounters()
    addons = default_addons(engine, counters=counters)
    names = [type(a).__name__ for a in addons]
    assert names == ["FirstMessageDeadline", "SniBlocking", "NoSniPolicy", "HttpBlocking",
                     "SniHostMismatch"]  # fmt: skip
    assert all(a.counters is counters for a in addons)
