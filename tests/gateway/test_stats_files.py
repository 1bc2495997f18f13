"""Counters published as files: atomic, per process, stale ones skipped, removed at the end."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path

from gateway.dns.counters import DnsCounters
from gateway.stats_files import keep_publishing, read_stats, write_stats


def test_a_process_replaces_its_own_file_and_readers_see_every_live_one(tmp_path: Path) -> None:
    write_stats(tmp_path, "dns", {"queries": 1})
    write_stats(tmp_path, "dns", {"queries": 5})  # the same process: replaced, not added
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        (tmp_path / f"dns-{other.pid}.json").write_text(json.dumps({"queries": 7}))
        assert sorted(d["queries"] for d in read_stats(tmp_path, "dns")) == [5, 7]
    finally:
        other.kill()
        other.wait()
    # A process that has exited no longer counts (a restart must not count twice).
    assert [d["queries"] for d in read_stats(tmp_path, "dns")] == [5]
    assert read_stats(tmp_path, "proxy") == []
    assert list(tmp_path.glob("*.tmp")) == []


def test_a_damaged_file_is_skipped(tmp_path: Path) -> None:
    path = write_stats(tmp_path, "dns", {"queries": 1})
    path.write_text("{not json")
    assert read_stats(tmp_path, "dns") == []


def test_publishing_follows_the_counters_and_cleans_up(tmp_path: Path) -> None:
    counters = DnsCounters()

    async def scenario() -> list[int]:
        seen = []
        task = asyncio.create_task(keep_publishing(tmp_path, "dns", counters.to_json, every=0.05))
        await asyncio.sleep(0.1)
        seen.append(read_stats(tmp_path, "dns")[0]["queries"])
        counters.queries += 3
        counters.blocked["gambling"] += 2
        await asyncio.sleep(0.15)
        latest = read_stats(tmp_path, "dns")[0]
        seen += [latest["queries"], latest["blocked"]["gambling"]]
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        return seen

    assert asyncio.run(scenario()) == [0, 3, 2]
    assert list(tmp_path.iterdir()) == []
