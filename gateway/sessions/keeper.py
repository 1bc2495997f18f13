"""Session policy: admission with the firewall, restart recovery, freeing slots of phones gone.

Pure policy over the store and two ports, the firewall and an ARP probe, so tests drive it with
a clock and a probe they control.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from gateway.sessions.store import AdmitOutcome, Session, SessionStore

log = logging.getLogger(__name__)

# A quiet phone that answered an ARP probe is not probed again for this long: each probe is a
# frame on the air, and a sleeping phone wakes up to answer it.
PROBE_EVERY_S = 60.0


class FirewallPort(Protocol):
    """What the keeper needs from the firewall (gateway.firewall's Firewall provides it)."""

    def admit(self, ip: str, timeout: float) -> None:
        """Let `ip` through for `timeout` seconds (an nft set element with that timeout)."""

    def release(self, ip: str) -> None:
        """Stop letting `ip` through; no error if it is not admitted (its element timed out)."""

    def forget_connections(self, ip: str) -> None:
        """Drop the connection-tracking entries of `ip`, so its next packets meet the new rules."""

    def byte_counts(self) -> dict[str, int]:
        """Bytes counted so far for each admitted IP."""


@dataclass(frozen=True)
class SweepReport:
    """What one sweep saw and did."""

    expired: tuple[Session, ...]  # time up: evicted
    gone: tuple[Session, ...]  # quiet past idle_timeout and no ARP answer: evicted
    present: tuple[str, ...]  # quiet past idle_timeout but still answering ARP: kept
    active: int  # sessions whose byte counter grew
    online: int  # sessions left after the sweep
    failed: tuple[str, ...] = ()  # IPs the firewall did not release (logged; nft times them out)

    @property
    def evicted(self) -> tuple[Session, ...]:
        """Every session this sweep ended."""
        return self.expired + self.gone


class SessionKeeper:
    """Keeps the store and the firewall in step: admit, restore, sweep and kick."""

    def __init__(
        self,
        store: SessionStore,
        firewall: FirewallPort,
        probe: Callable[[str], bool],
        clock: Callable[[], float],
        idle_timeout: float,
        session_timeout: float,
        probe_every: float = PROBE_EVERY_S,
    ) -> None:
        self.store = store
        self.firewall = firewall
        self.probe = probe
        self.clock = clock
        self.idle_timeout = idle_timeout
        self.session_timeout = session_timeout
        self.probe_every = probe_every
        self._answered_at: dict[str, float] = {}  # only the sweep's thread touches it

    def admit(self, ip: str, mac: str | None, max_clients: int) -> AdmitOutcome:
        """Admit a phone in the store (cap checked there), then let it through the firewall."""
        now = self.clock()
        outcome = self.store.admit(ip, mac, now, max_clients, self.session_timeout)
        session = outcome.session
        if session is None:
            return outcome
        if outcome.moved_from is not None:
            self.firewall.release(outcome.moved_from)
            self.firewall.forget_connections(outcome.moved_from)
        try:
            # "already" too: a phone that reached the portal may have lost its element (nft
            # reloaded by hand); admitting again heals that, and is harmless otherwise.
            self.firewall.admit(ip, session.remaining(now))
        except BaseException:
            if outcome.result == "admitted":  # give the slot back; the phone can tap again
                self.store.remove(ip, started=session.started)
            raise
        # Its captive-time connections (DNAT'd to the portal) are forgotten by the caller once
        # the reply has gone out: the reply itself may travel on one of them.
        return outcome

    def restore(self, readmit: bool = True) -> list[Session]:
        """At start: drop expired sessions, let every live one through again with its time left.

        `readmit=False` when the caller has already put the live sessions in the firewall's
        first ruleset (one transaction instead of one per phone).
        """
        now = self.clock()
        self.store.purge_expired(now)
        live = []
        for session in self.store.sessions():
            if readmit:
                self.firewall.admit(session.ip, session.remaining(now))
            # A new set element counts from 0; record that, so the next sweep sees growth.
            live.append(self.store.touch(session.ip, 0, now) or session)
        return live

    def sweep(self, now: float | None = None) -> SweepReport:
        """Free the slots of phones whose time is up and of phones that left (quiet, no ARP)."""
        now = self.clock() if now is None else now
        failed: list[str] = []
        expired = self.store.purge_expired(now)
        for session in expired:
            self._release(session.ip, failed)
        counts = self.firewall.byte_counts()
        active = 0
        gone: list[Session] = []
        present: list[str] = []
        for before in self.store.sessions():
            session = before
            if before.ip in counts:
                session = self.store.touch(before.ip, counts[before.ip], now) or before
            if session.last_active > before.last_active:
                active += 1
            if session.idle_for(now) < self.idle_timeout:
                continue
            if self._still_here(session.ip, now):
                present.append(session.ip)
            elif self._evict(session, failed):
                gone.append(session)
        live = {s.ip for s in self.store.sessions()}
        self._answered_at = {ip: t for ip, t in self._answered_at.items() if ip in live}
        return SweepReport(
            tuple(expired), tuple(gone), tuple(present), active, len(live), tuple(failed)
        )

    def kick(self, ip: str) -> Session | None:
        """End one session now (staff's `sessions kick`); None if the IP has none."""
        session = self.store.remove(ip)
        if session is not None:  # firewall errors go to staff here, not to a log
            self.firewall.release(ip)
            self.firewall.forget_connections(ip)
        return session

    def _still_here(self, ip: str, now: float) -> bool:
        """A quiet phone is still here if it answered an ARP probe recently or answers one now."""
        answered = self._answered_at.get(ip)
        if answered is not None and now - answered < self.probe_every:
            return True
        if self.probe(ip):
            self._answered_at[ip] = now
            return True
        return False

    def _evict(self, session: Session, failed: list[str]) -> bool:
        # Store first, and only the session we looked at: the phone may have tapped Connect
        # again (a new session on the same IP) while we were probing.
        if self.store.remove(session.ip, started=session.started) is None:
            return False
        self._release(session.ip, failed)
        return True

    def _release(self, ip: str, failed: list[str]) -> None:
        try:
            self.firewall.release(ip)
            self.firewall.forget_connections(ip)
        except Exception:
            # One phone's firewall error must not stop the sweep for the others; its nft
            # element still ends at the session's expiry.
            log.exception("firewall: could not release %s", ip)
            failed.append(ip)
