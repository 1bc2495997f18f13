"""Hot swap: lookups never fail and never see a half-loaded snapshot while a new one goes in."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from filters.engine import BlocklistEngine
from filters.verdict import Verdict
from tests.filters.builders import TEST_NEVER_BLOCK, publish_lists, spec

NAMES = [f"site{i}.swap.test" for i in range(2000)]


def publish_generation(state_dir: Path, generation: int) -> None:
    """Generation g blocks every name under category g-even/odd with source gen<g>."""
    category = "porn" if generation % 2 == 0 else "gambling"
    text = "".join(f"{n}\n" for n in NAMES)
    publish_lists(state_dir, [(spec(f"gen{generation}", category), text)], TEST_NEVER_BLOCK,
                  snapshot_id=f"20261123T0000{generation:02d}Z")  # fmt: skip


def test_lookups_never_fail_during_repeated_swaps(state_dir: Path) -> None:
    publish_generation(state_dir, 0)
    engine = BlocklistEngine(state_dir, never_block=TEST_NEVER_BLOCK)
    stop = threading.Event()
    errors: list[BaseException] = []
    verdicts: list[Verdict] = []
    counts = [0] * 2

    def look(worker: int) -> None:
        i = 0
        while not stop.is_set() and counts[worker] < 2_000_000:
            name = NAMES[i % len(NAMES)]
            i += 1
            if not i % 200:
                time.sleep(0.0005)  # leave the GIL to the publisher now and then
            try:
                verdict = engine.lookup("www." + name)
                if not verdict.blocked or verdict.source is None:
                    verdicts.append(verdict)
            except BaseException as exc:
                errors.append(exc)
            counts[worker] += 1

    workers = [threading.Thread(target=look, args=(w,)) for w in range(2)]
    for worker in workers:
        worker.start()
    try:
        for generation in range(1, 9):
            publish_generation(state_dir, generation)
            assert engine.refresh()
            time.sleep(0.01)
            current = engine.lookup(NAMES[0])
            assert current.source == f"gen{generation}"
            assert current.category == ("porn" if generation % 2 == 0 else "gambling")
    finally:
        stop.set()
        for worker in workers:
            worker.join(timeout=30)
    assert errors == []
    assert verdicts == [], "every lookup during the swaps was answered as blocked"
    assert min(counts) > 100
