"""Group commit: concurrent admissions share commands, each caller returns once it is applied."""

from __future__ import annotations

import threading
import time

import pytest

from gateway.firewall.group_commit import GroupCommit


def test_concurrent_items_are_applied_once_each_in_few_batches() -> None:
    applied: list[list[int]] = []

    def apply(items: list[int]) -> None:
        time.sleep(0.02)  # a command takes a while: others gather meanwhile
        applied.append(list(items))

    commit: GroupCommit[int] = GroupCommit(apply)
    start = threading.Barrier(100)
    seen_applied: dict[int, bool] = {}

    def caller(n: int) -> None:
        start.wait(timeout=10)
        commit.submit(n)
        seen_applied[n] = any(n in batch for batch in applied)  # applied before return

    threads = [threading.Thread(target=caller, args=(n,)) for n in range(100)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(n for batch in applied for n in batch) == list(range(100))
    assert all(seen_applied.values()) and len(seen_applied) == 100
    assert len(applied) < 20  # batched, not one command per caller


def test_a_lone_caller_is_applied_at_once() -> None:
    applied: list[list[str]] = []
    commit: GroupCommit[str] = GroupCommit(applied.append)
    commit.submit("10.77.0.5")
    assert applied == [["10.77.0.5"]]


def test_every_caller_in_a_failed_batch_gets_the_error() -> None:
    gate = threading.Event()
    calls = []

    def apply(items: list[int]) -> None:
        calls.append(items)
        if len(calls) == 1:
            gate.wait(timeout=5)  # hold the first batch so the next ones gather behind it
            return
        raise RuntimeError("nft: no such table")

    commit: GroupCommit[int] = GroupCommit(apply)
    errors: dict[int, str] = {}

    def caller(n: int) -> None:
        try:
            commit.submit(n)
        except RuntimeError as exc:
            errors[n] = str(exc)

    first = threading.Thread(target=caller, args=(0,))
    first.start()
    time.sleep(0.1)
    rest = [threading.Thread(target=caller, args=(n,)) for n in range(1, 6)]
    for thread in rest:
        thread.start()
    time.sleep(0.1)
    gate.set()
    for thread in [first, *rest]:
        thread.join(timeout=10)
    assert 0 not in errors
    assert errors == {n: "nft: no such table" for n in range(1, 6)}
    with pytest.raises(RuntimeError):
        commit.submit(9)
