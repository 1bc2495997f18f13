"""Hot swap while serving: pick up new snapshots and staff edits without dropping a query."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from filters.engine import BlocklistEngine
from filters.snapshot_file import SnapshotError

log = logging.getLogger(__name__)

REFRESH_SECONDS = 5.0


async def keep_blocklists_fresh(
    engine: BlocklistEngine, interval: float = REFRESH_SECONDS, wake: asyncio.Event | None = None
) -> None:
    """Every `interval` (or at once when `wake` is set), load newer lists if there are any.

    Runs until cancelled. A snapshot that fails to load leaves the current one answering.
    """
    wake = wake or asyncio.Event()
    while True:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(wake.wait(), interval)
        wake.clear()
        try:
            # Mapping a snapshot takes milliseconds, but off the event loop queries never wait.
            if await asyncio.to_thread(engine.refresh):
                snapshot = engine.snapshot
                log.info("blocklists reloaded: %s", snapshot.snapshot_id if snapshot else "none")
        except (SnapshotError, OSError) as exc:
            log.error("blocklist reload failed, the current lists stay in force: %s", exc)
