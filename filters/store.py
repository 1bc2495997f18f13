"""The blocklist state directory: cached source copies, snapshots, the current pointer.

state_dir/sources/NAME.list   last good copy of each source, NAME.json its fetch metadata
state_dir/snapshots/ID.snap   immutable compiled snapshots, newest last by name
state_dir/current             the file name of the snapshot in force (replaced atomically)
state_dir/audit.jsonl         the staff journal and audit log
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from filters.atomic import atomic_write_bytes, commit_file, fsync_dir, temp_path


class StoreError(Exception):
    """The state directory cannot do what was asked."""


class SnapshotStore:
    """Paths and atomic operations on one state directory."""

    def __init__(self, state_dir: Path) -> None:
        self.root = state_dir
        self.sources_dir = state_dir / "sources"
        self.snapshots_dir = state_dir / "snapshots"
        self.pointer = state_dir / "current"
        self.audit_path = state_dir / "audit.jsonl"

    def ensure(self) -> None:
        """Create the directories (0750: lists and audit are for staff only)."""
        for directory in (self.root, self.sources_dir, self.snapshots_dir):
            directory.mkdir(parents=True, exist_ok=True, mode=0o750)

    @contextmanager
    def update_lock(self) -> Iterator[None]:
        """Only one update or rollback at a time."""
        self.ensure()
        fd = os.open(self.root / "update.lock", os.O_RDWR | os.O_CREAT, 0o640)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise StoreError("another blocklist update or rollback is running") from None
            yield
        finally:
            os.close(fd)

    def current_path(self) -> Path | None:
        """The snapshot in force, or None before the first update."""
        try:
            name = self.pointer.read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            return None
        return self.snapshots_dir / name if name else None

    def snapshots(self) -> list[Path]:
        """Every complete snapshot, oldest first (ids sort by creation time)."""
        if not self.snapshots_dir.exists():
            return []
        return sorted(self.snapshots_dir.glob("*.snap"))

    def new_snapshot_temp(self) -> Path:
        """A temporary file to compile into, beside the snapshots."""
        self.ensure()
        return temp_path(self.snapshots_dir, "snapshot")

    def publish(self, tmp: Path, snapshot_id: str) -> Path:
        """Move a compiled snapshot into place, then point `current` at it."""
        final = self.snapshots_dir / f"{snapshot_id}.snap"
        commit_file(tmp, final)
        self.point_at(final)
        return final

    def point_at(self, snapshot: Path) -> None:
        """Atomically make `snapshot` the one in force."""
        atomic_write_bytes(self.pointer, snapshot.name.encode() + b"\n")

    def previous(self) -> Path | None:
        """The newest snapshot older than the current one."""
        current = self.current_path()
        older = [p for p in self.snapshots() if current is None or p.name < current.name]
        return older[-1] if older else None

    def prune(self, keep: int) -> list[Path]:
        """Delete all but the newest `keep` snapshots; never the one in force."""
        current = self.current_path()
        doomed = [p for p in self.snapshots()[:-keep] if p != current]
        for path in doomed:
            path.unlink(missing_ok=True)
        if doomed:
            fsync_dir(self.snapshots_dir)
        return doomed

    def remove_leftovers(self) -> None:
        """Delete what an update that was killed left behind (call under the update lock)."""
        for pattern_dir, pattern in (
            (self.snapshots_dir, ".*.tmp"),
            (self.sources_dir, ".*.tmp"),
            (self.sources_dir, "*.pending.json"),
            (self.root, ".current-*.tmp"),
        ):
            for stale in pattern_dir.glob(pattern):
                stale.unlink(missing_ok=True)

    # Cached source copies -------------------------------------------------------------------

    def source_copy(self, name: str) -> Path:
        """Where the last good copy of a source lives."""
        return self.sources_dir / f"{name}.list"

    def source_meta(self, name: str) -> dict[str, Any]:
        """Fetch metadata of a source (etag, last-modified, entries, fetched time); {} if none."""
        try:
            data: dict[str, Any] = json.loads(
                (self.sources_dir / f"{name}.json").read_text(encoding="utf-8")
            )
            return data
        except (FileNotFoundError, ValueError):
            return {}

    def save_source_meta(self, name: str, meta: dict[str, Any]) -> None:
        """Record fetch metadata for a source."""
        atomic_write_bytes(self.sources_dir / f"{name}.json", json.dumps(meta, indent=1).encode())
