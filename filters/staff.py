"""The staff journal: an append-only audit log (who, when, what, why) that staff edits replay from.

Every edit is appended and fsync'd before it takes effect, so a crash can lose nothing that was
reported done. A torn last line (a crash mid-write) is skipped when reading.
"""

from __future__ import annotations

import fcntl
import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

STAFF_ACTIONS = ("add", "allow", "remove")


@dataclass(frozen=True)
class AuditEvent:
    """One line of the audit log."""

    time: str
    user: str
    action: str
    name: str | None = None
    category: str | None = None
    reason: str | None = None
    detail: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The event as stored, without empty fields."""
        return {k: v for k, v in self.__dict__.items() if v is not None}


@dataclass(frozen=True)
class StaffEntry:
    """A staff block ("add") or allow entry in force."""

    name: str
    action: str
    category: str | None
    reason: str | None
    user: str
    time: str


def utc_now() -> str:
    """The current time as an ISO 8601 UTC string, to the second."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class AuditLog:
    """The journal file under state_dir."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def append(self, event: AuditEvent) -> None:
        """Durably append one event; concurrent writers are serialised with a file lock."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        line = json.dumps(event.to_json(), ensure_ascii=False, separators=(",", ":")) + "\n"
        fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o640)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            self._end_torn_line(fd)
            os.write(fd, line.encode())
            os.fsync(fd)
        finally:
            os.close(fd)

    def _end_torn_line(self, fd: int) -> None:
        """After a crash mid-write, start the next event on a fresh line."""
        size = os.fstat(fd).st_size
        if size and os.pread(fd, 1, size - 1) != b"\n":
            os.write(fd, b"\n")

    def events(self) -> list[AuditEvent]:
        """Every complete event, oldest first."""
        try:
            data = self.path.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return []
        events = []
        for line in data.splitlines():
            try:
                raw = json.loads(line)
                events.append(AuditEvent(**raw))
            except (ValueError, TypeError):
                continue  # a torn line from a crash mid-write
        return events

    def signature(self) -> tuple[int, int]:
        """Changes whenever an event is appended (size, mtime), for cheap reload checks."""
        try:
            st = self.path.stat()
        except FileNotFoundError:
            return (0, 0)
        return (st.st_size, st.st_mtime_ns)


def staff_entries(events: list[AuditEvent]) -> dict[str, StaffEntry]:
    """Replay add/allow/remove events into the entries now in force, by name."""
    entries: dict[str, StaffEntry] = {}
    for event in events:
        if event.action not in STAFF_ACTIONS or not event.name:
            continue
        if event.action == "remove":
            entries.pop(event.name, None)
        else:
            entries[event.name] = StaffEntry(
                event.name, event.action, event.category, event.reason, event.user, event.time
            )
    return entries
