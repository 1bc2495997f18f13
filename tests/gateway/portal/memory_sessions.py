"""An in-memory PortalSessions with a capacity: a test double of run.py's sessions adapter."""

from __future__ import annotations

import threading

from gateway.portal.sessions import PortalAdmission

SESSION_SECONDS = 12 * 3600


class MemorySessions:
    """Admits up to capacity addresses; evict() frees a place as the session keeper would."""

    def __init__(self, capacity: int = 3) -> None:
        self._capacity = capacity
        self._lock = threading.Lock()
        self.admitted: set[str] = set()
        self.admit_calls = 0
        self.settled: list[str] = []

    @property
    def capacity(self) -> int:
        return self._capacity

    def admit(self, ip: str) -> PortalAdmission:
        with self._lock:
            self.admit_calls += 1
            if ip in self.admitted:
                return PortalAdmission("already", len(self.admitted))
            if len(self.admitted) >= self._capacity:
                return PortalAdmission("full", len(self.admitted))
            self.admitted.add(ip)
            return PortalAdmission("admitted", len(self.admitted))

    def settle(self, ip: str) -> None:
        self.settled.append(ip)

    def is_admitted(self, ip: str) -> bool:
        return ip in self.admitted

    def seconds_remaining(self, ip: str) -> int | None:
        return SESSION_SECONDS - 61 if ip in self.admitted else None

    def online(self) -> int:
        return len(self.admitted)

    def fill(self, count: int) -> None:
        """Admit count other phones, as if they had pressed Connect."""
        for i in range(count):
            self.admit(f"10.77.0.{200 + i}")

    def evict(self, ip: str) -> None:
        self.admitted.discard(ip)
