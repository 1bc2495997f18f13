"""The store under real contention: many threads, many processes, a writer killed with -9."""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from gateway.sessions.store import SessionStore
from tests.gateway.sessions.workers import (
    HOUR,
    NOW,
    admit_racing,
    admit_then_hang,
    hold_write_lock,
)

SPAWN = multiprocessing.get_context("spawn")
PHONES = [f"10.77.{i // 200}.{i % 200 + 10}" for i in range(150)]


@contextmanager
def children(*processes: Any) -> Iterator[None]:
    """Start processes and make sure none outlives the test, whatever it asserts."""
    try:
        for process in processes:
            process.start()
        yield
    finally:
        for process in processes:
            if process.is_alive():
                process.kill()
            process.join(timeout=10)


def check_race(outcomes: list[tuple[str, str, int]], store: SessionStore) -> None:
    assert len(outcomes) == 150 and len({ip for ip, _, _ in outcomes}) == 150
    assert Counter(result for _, result, _ in outcomes) == {"admitted": 100, "full": 50}
    # Each admission saw a different count: the cap check and the insert were one step.
    online = sorted(n for _, result, n in outcomes if result == "admitted")
    assert online == list(range(1, 101))
    assert all(n == 100 for _, result, n in outcomes if result == "full")
    assert store.count() == 100
    admitted = {ip for ip, result, _ in outcomes if result == "admitted"}
    assert {s.ip for s in store.sessions()} == admitted


def test_150_phones_at_once_in_threads_get_100_slots(tmp_path: Path) -> None:
    store = SessionStore(tmp_path / "sessions.sqlite3")
    barrier = threading.Barrier(len(PHONES))
    outcomes: list[tuple[str, str, int]] = []
    lock = threading.Lock()

    def press_connect(ip: str) -> None:
        barrier.wait(timeout=30)
        outcome = store.admit(ip, None, NOW, 100, HOUR)
        with lock:
            outcomes.append((ip, outcome.result, outcome.online))

    threads = [threading.Thread(target=press_connect, args=(ip,)) for ip in PHONES]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    try:
        assert not any(thread.is_alive() for thread in threads)
        check_race(outcomes, store)
        # Pressing Connect again changes nothing for the admitted and the turned away.
        ip = next(ip for ip, result, _ in outcomes if result == "admitted")
        assert store.admit(ip, None, NOW + 1, 100, HOUR).result == "already"
        late = next(ip for ip, result, _ in outcomes if result == "full")
        assert store.admit(late, None, NOW + 1, 100, HOUR).result == "full"
    finally:
        store.close()


@pytest.mark.timeout(120)
def test_150_phones_at_once_across_processes_get_100_slots(tmp_path: Path) -> None:
    path = tmp_path / "sessions.sqlite3"
    SessionStore(path).close()
    barrier = SPAWN.Barrier(len(PHONES))
    results = SPAWN.Queue()
    groups = [PHONES[i::5] for i in range(5)]
    processes = [
        SPAWN.Process(target=admit_racing, args=(str(path), group, barrier, results, 100))
        for group in groups
    ]
    outcomes: list[tuple[str, str, int]] = []
    with children(*processes):
        for _ in groups:
            outcomes += results.get(timeout=90)
        for process in processes:
            process.join(timeout=30)
            assert process.exitcode == 0
    with SessionStore(path) as store:
        check_race(outcomes, store)


@pytest.mark.timeout(60)
def test_a_committed_admission_survives_kill_9(tmp_path: Path) -> None:
    path = tmp_path / "sessions.sqlite3"
    committed = SPAWN.Event()
    child = SPAWN.Process(target=admit_then_hang, args=(str(path), 20, committed))
    with children(child):
        assert committed.wait(timeout=30), "the child did not admit in time"
        # The admissions are in the WAL, not yet checkpointed into the main file.
        assert Path(f"{path}-wal").stat().st_size > 0
        assert child.pid is not None
        os.kill(child.pid, signal.SIGKILL)
        child.join(timeout=10)
        assert child.exitcode == -signal.SIGKILL
    with SessionStore(path) as store:
        sessions = store.sessions()
    assert len(sessions) == 20
    assert sessions[0].ip == "10.77.0.10" and sessions[0].mac == "02:00:00:00:00:00"
    assert all(s.expires == NOW + HOUR for s in sessions)


@pytest.mark.timeout(60)
def test_admit_waits_for_another_process_holding_the_write_lock(tmp_path: Path) -> None:
    path = tmp_path / "sessions.sqlite3"
    SessionStore(path).close()
    holding = SPAWN.Event()
    child = SPAWN.Process(target=hold_write_lock, args=(str(path), 1.0, holding))
    with children(child), SessionStore(path) as store:
        assert holding.wait(timeout=30)
        started = time.monotonic()
        outcome = store.admit("10.77.0.10", None, NOW, 100, HOUR)
        waited = time.monotonic() - started
        child.join(timeout=10)
        assert child.exitcode == 0
    assert outcome.result == "admitted"
    assert 0.3 < waited < 5.0  # it waited for the lock (busy_timeout), and did not fail


def test_threads_that_ended_leave_no_connection_behind(tmp_path: Path) -> None:
    with SessionStore(tmp_path / "sessions.sqlite3") as store:
        for _ in range(20):
            thread = threading.Thread(target=store.count)
            thread.start()
            thread.join(timeout=10)
        store.count()
        assert len(store._connections) <= 2
