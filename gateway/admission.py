"""admit_client for the portal: the cap in the session store, then the firewall, then the reply.

The portal's Connect handler calls `admit`; it returns only when the phone's address is in the
firewall's admitted set, so the success page never arrives before the internet does. The
phone's old connection-tracking entries (the ones DNAT'd to the portal while it was captive)
are forgotten once the reply is on its way (`settle`), so its next probe and page go out for
real instead of riding an old redirect.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from filters.engine import BlocklistEngine
from gateway.config import GatewayConfig
from gateway.portal.sessions import PortalAdmission
from gateway.sessions.keeper import FirewallPort, SessionKeeper
from gateway.sessions.neighbours import mac_of
from gateway.sessions.store import SessionStore

log = logging.getLogger(__name__)

LISTS_REFRESH_SECONDS = 5.0  # how often the block page looks for a new snapshot
SETTLE_QUEUE = 1024  # admissions waiting for their old connections to be forgotten


class AdmissionFirewall(FirewallPort, Protocol):
    """The keeper's firewall, plus forgetting a newly admitted phone's captive connections."""

    def forget_captive_connections(self, ip: str) -> None:
        """Drop the phone's connections DNAT'd to the portal."""
        ...


class NoFirewall:
    """The firewall when `[firewall] enabled = false`: sessions are kept, nothing is enforced."""

    def admit(self, ip: str, timeout: float) -> None:
        """Nothing to open."""

    def release(self, ip: str) -> None:
        """Nothing to close."""

    def forget_connections(self, ip: str) -> None:
        """No connection tracking of ours."""

    def forget_captive_connections(self, ip: str) -> None:
        """No connection tracking of ours."""

    def byte_counts(self) -> dict[str, int]:
        """No counters: idle phones are found by ARP alone."""
        return {}


class ClientAdmission:
    """The portal's sessions: PortalSessions over the store, the keeper and the firewall."""

    def __init__(
        self,
        store: SessionStore,
        keeper: SessionKeeper,
        firewall: AdmissionFirewall,
        config: GatewayConfig,
        clock: Callable[[], float] = time.time,
        find_mac: Callable[[str], str | None] | None = None,
    ) -> None:
        self.store = store
        self.keeper = keeper
        self.firewall = firewall
        self.clock = clock
        self.capacity = config.portal.max_clients
        lan = config.network.lan_interface
        self.find_mac = find_mac or (lambda ip: mac_of(ip, lan))
        self._lists_dir = config.blocklists.state_dir
        self._engine: BlocklistEngine | None = None
        self._engine_checked = 0.0
        self._engine_lock = threading.Lock()  # the portal answers from many threads
        self._to_settle: queue.Queue[str] = queue.Queue(maxsize=SETTLE_QUEUE)
        threading.Thread(target=self._settle_forever, name="settle", daemon=True).start()

    def admit(self, ip: str) -> PortalAdmission:
        """Admit the phone at `ip` unless the hotspot is full; the firewall is open on return."""
        outcome = self.keeper.admit(ip, self.find_mac(ip), self.capacity)
        return PortalAdmission(outcome.result, outcome.online)

    def settle(self, ip: str) -> None:
        """After the reply: forget the phone's captive-time connections (DNAT'd to us).

        Queued for one background thread, so the portal's workers are free for the next phone
        at once; the phone's next request comes after it has read this reply anyway.
        """
        try:
            self._to_settle.put_nowait(ip)
        except queue.Full:  # a storm of admissions: its old flows end by themselves
            log.warning("settling queue full; %s keeps its captive connections", ip)

    def _settle_forever(self) -> None:
        while True:
            ip = self._to_settle.get()
            try:
                self.firewall.forget_captive_connections(ip)
            except Exception as exc:  # the phone is online either way; its old flows time out
                log.warning("could not forget the connections of %s: %s", ip, exc)

    def is_admitted(self, ip: str) -> bool:
        """Whether the phone at `ip` has a live session."""
        session = self.store.get(ip)
        return session is not None and session.expires > self.clock()

    def seconds_remaining(self, ip: str) -> int | None:
        """Seconds until the session of `ip` ends; None without one."""
        session = self.store.get(ip)
        if session is None:
            return None
        return max(0, int(session.expires - self.clock()))

    def online(self) -> int:
        """How many phones are online now."""
        return self.store.count()

    def blocked_category(self, host: str) -> str | None:
        """The category a name is blocked for (for the block page); None when it is not."""
        engine = self._current_engine()
        if engine is None:
            return None
        verdict = engine.lookup(host)
        return (verdict.category or "blocked") if verdict.blocked else None

    def _current_engine(self) -> BlocklistEngine | None:
        now = time.monotonic()
        with self._engine_lock:
            if self._engine is None:
                if not (Path(self._lists_dir) / "current").exists():
                    return None
                self._engine = BlocklistEngine(self._lists_dir)
                self._engine_checked = now
            elif now - self._engine_checked > LISTS_REFRESH_SECONDS:
                self._engine_checked = now
                self._engine.refresh()
            return self._engine
