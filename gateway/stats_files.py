"""Each long-running process publishes its counters as a small JSON file under `state_dir/stats`.

The resolver and the proxy run in processes of their own (several, for the resolver), so
anything that shows their counters (the demo's status line, `doctor`, the metrics endpoint)
reads these files: one per process, named `PART-PID.json`, replaced atomically every few
seconds. Files of processes that have exited are skipped, so a restart never counts twice.
Only totals are written: no names, no residents. (The portal, one process inside `run`, keeps
its own single file: `portal/stats_file.py`.)
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

STATS_DIR = "stats"
PUBLISH_EVERY = 2.0  # seconds: fresh enough for a status line, cheap for a busy resolver


def stats_dir(state_dir: Path) -> Path:
    """Where the processes of a gateway publish their counters."""
    return state_dir / STATS_DIR


def write_stats(directory: Path, part: str, data: dict[str, Any]) -> Path:
    """Replace this process's file for `part` with `data`, atomically."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{part}-{os.getpid()}.json"
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(data), encoding="utf-8")
    # Renamed, so readers never see half a file; not fsynced, unlike lists and sessions:
    # counters lost in a power cut start again from zero, and an fsync every few seconds
    # from every process would only wear a mini-PC's flash.
    os.replace(temporary, path)
    return path


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process, but alive
    return True


def read_stats(directory: Path, part: str) -> list[dict[str, Any]]:
    """The latest counters of every live process of `part`; stale and damaged files skipped."""
    found = []
    for path in sorted(directory.glob(f"{part}-*.json")):
        pid_text = path.stem.rpartition("-")[2]
        if not pid_text.isdigit() or not _alive(int(pid_text)):
            continue
        try:
            found.append(json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError):
            continue  # removed or replaced under us: the next read has it
    return found


async def keep_publishing(
    directory: Path, part: str, snapshot: Callable[[], dict[str, Any]],
    every: float = PUBLISH_EVERY,
) -> None:  # fmt: skip
    """Write `snapshot()` every `every` seconds until cancelled; the file is removed at the end."""
    path = None
    try:
        while True:
            path = await asyncio.to_thread(write_stats, directory, part, snapshot())
            await asyncio.sleep(every)
    finally:
        if path is not None:
            path.unlink(missing_ok=True)
