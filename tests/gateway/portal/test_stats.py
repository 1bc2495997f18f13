from __future__ import annotations

import threading

from gateway.portal.stats import PortalStats


def test_snapshot_has_every_counter_from_the_start() -> None:
    snapshot = PortalStats().snapshot()
    for key in (
        "probes_android",
        "probes_apple",
        "probes_windows",
        "probes_firefox",
        "probes_other",
        "pages_redirected",
        "splash_views",
        "connects_admitted",
        "connects_already",
        "connects_moved",
        "connects_full",
        "splash_then_online",
        "splash_pending",
    ):
        assert snapshot[key] == 0
    assert all(isinstance(value, int) for value in snapshot.values())


def test_redirects_are_counted_by_os_family() -> None:
    stats = PortalStats()
    for family in ("android", "android", "apple", None):
        stats.count_redirect(family)
    snapshot = stats.snapshot()
    assert snapshot["probes_android"] == 2
    assert snapshot["probes_apple"] == 1
    assert snapshot["pages_redirected"] == 1


def test_phones_that_saw_the_splash_and_got_online_are_counted_once() -> None:
    stats = PortalStats()
    stats.count_splash_view("10.77.0.23")
    stats.count_splash_view("10.77.0.23")
    stats.count_splash_view("10.77.0.24")
    stats.count_connect("10.77.0.23", "full")
    assert stats.snapshot()["splash_then_online"] == 0
    stats.count_connect("10.77.0.23", "admitted")
    stats.count_connect("10.77.0.23", "already")
    stats.count_connect("10.77.0.99", "admitted")  # never saw the splash
    snapshot = stats.snapshot()
    assert snapshot["splash_views"] == 3
    assert snapshot["splash_then_online"] == 1
    assert snapshot["splash_pending"] == 1
    assert snapshot["connects_admitted"] == 2
    assert snapshot["connects_already"] == 1
    assert snapshot["connects_full"] == 1
    stats.count_admitted_after_wait("10.77.0.24")
    assert stats.snapshot()["splash_then_online"] == 2
    assert stats.snapshot()["splash_pending"] == 0


def test_the_set_of_splash_viewers_is_bounded() -> None:
    stats = PortalStats(pending_limit=10)
    for i in range(50):
        stats.count_splash_view(f"10.77.1.{i}")
    assert stats.snapshot()["splash_pending"] == 10
    stats.count_connect("10.77.1.0", "admitted")  # forgotten: the oldest went first
    stats.count_connect("10.77.1.49", "admitted")
    assert stats.snapshot()["splash_then_online"] == 1


def test_counters_are_thread_safe() -> None:
    stats = PortalStats()

    def work(n: int) -> None:
        for i in range(500):
            stats.count_splash_view(f"10.{n}.0.{i % 250}")
            stats.count_redirect("android")
            stats.count_connect(f"10.{n}.0.{i % 250}", "admitted")

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    snapshot = stats.snapshot()
    assert snapshot["probes_android"] == 4000
    assert snapshot["splash_views"] == 4000
    assert snapshot["connects_admitted"] == 4000
    assert snapshot["splash_then_online"] == 4000
