"""Code that runs in child processes (multiprocessing spawn): kept light to import."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

from gateway.sessions.store import SessionStore

NOW = 1_700_000_000.0
HOUR = 3600.0


def admit_racing(path: str, ips: list[str], barrier: Any, results: Any, max_clients: int) -> None:
    """Admit each IP from its own thread, every thread of every process released together."""
    store = SessionStore(Path(path))
    outcomes: list[tuple[str, str, int]] = []
    lock = threading.Lock()

    def press_connect(ip: str) -> None:
        barrier.wait(timeout=60)
        outcome = store.admit(ip, None, NOW, max_clients, HOUR)
        with lock:
            outcomes.append((ip, outcome.result, outcome.online))

    threads = [threading.Thread(target=press_connect, args=(ip,)) for ip in ips]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    store.close()
    results.put(outcomes)


def admit_then_hang(path: str, count: int, committed: Any) -> None:
    """Admit `count` phones, say so, then wait to be killed (kill -9 by the test)."""
    store = SessionStore(Path(path))
    for i in range(count):
        store.admit(f"10.77.0.{i + 10}", f"02:00:00:00:00:{i:02x}", NOW, 100, HOUR)
    committed.set()
    time.sleep(120)


def hold_write_lock(path: str, seconds: float, holding: Any) -> None:
    """Keep the database's write lock for a while, as a slow writer in another process would."""
    store = SessionStore(Path(path))
    with store._write() as conn:
        conn.execute("UPDATE sessions SET bytes = bytes + 1")
        holding.set()
        time.sleep(seconds)
    store.close()
