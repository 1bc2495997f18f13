"""The keeper's policy over a real store, with an in-memory firewall, a clock and an ARP probe."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from gateway.sessions.keeper import FirewallPort, SessionKeeper
from gateway.sessions.store import SessionStore
from tests.gateway.sessions.workers import HOUR, NOW

IDLE = 15 * 60.0


class MemoryFirewall:
    """The nft set `admitted` as a dict: what the keeper's policy needs of a firewall."""

    def __init__(self) -> None:
        self.admitted: dict[str, float] = {}
        self.counters: dict[str, int] = {}
        self.forgotten: list[str] = []
        self.broken: set[str] = set()

    def admit(self, ip: str, timeout: float) -> None:
        if ip in self.broken:
            raise RuntimeError(f"nft: cannot add {ip}")
        self.admitted[ip] = timeout
        self.counters.setdefault(ip, 0)

    def release(self, ip: str) -> None:
        if ip in self.broken:
            raise RuntimeError(f"nft: cannot delete {ip}")
        self.admitted.pop(ip, None)
        self.counters.pop(ip, None)

    def forget_connections(self, ip: str) -> None:
        self.forgotten.append(ip)

    def byte_counts(self) -> dict[str, int]:
        return dict(self.counters)

    def traffic(self, ip: str, count: int) -> None:
        self.counters[ip] += count


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> float:
        return self.now


class Probe:
    """ARP: the phones in `here` answer; every question is recorded."""

    def __init__(self) -> None:
        self.here: set[str] = set()
        self.asked: list[str] = []

    def __call__(self, ip: str) -> bool:
        self.asked.append(ip)
        return ip in self.here


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "sessions.sqlite3"


@pytest.fixture
def store(path: Path) -> Iterator[SessionStore]:
    with SessionStore(path) as opened:
        yield opened


def keeper_for(
    store: SessionStore, firewall: FirewallPort, probe: Probe, clock: Clock
) -> SessionKeeper:
    return SessionKeeper(store, firewall, probe, clock, idle_timeout=IDLE, session_timeout=HOUR)


@pytest.fixture
def parts(store: SessionStore) -> tuple[SessionKeeper, MemoryFirewall, Probe, Clock]:
    firewall, probe, clock = MemoryFirewall(), Probe(), Clock()
    return keeper_for(store, firewall, probe, clock), firewall, probe, clock


Parts = tuple[SessionKeeper, MemoryFirewall, Probe, Clock]


def test_admit_lets_the_phone_through_and_a_move_releases_the_old_ip(parts: Parts) -> None:
    keeper, firewall, _, clock = parts
    assert keeper.admit("10.77.0.10", "02:00:00:00:00:01", 1).result == "admitted"
    # Its captive connections are the portal's to forget, after the reply (not here).
    assert firewall.admitted == {"10.77.0.10": HOUR} and firewall.forgotten == []
    clock.now += 600
    moved = keeper.admit("10.77.0.11", "02:00:00:00:00:01", 1)
    assert moved.result == "moved" and moved.moved_from == "10.77.0.10"
    assert firewall.admitted == {"10.77.0.11": HOUR - 600}
    assert firewall.forgotten == ["10.77.0.10"]  # the old address: stale for its next holder
    full = keeper.admit("10.77.0.12", None, 1)
    assert full.result == "full" and "10.77.0.12" not in firewall.admitted


def test_a_firewall_failure_gives_the_slot_back(parts: Parts) -> None:
    keeper, firewall, _, _ = parts
    firewall.broken.add("10.77.0.10")
    with pytest.raises(RuntimeError, match="cannot add"):
        keeper.admit("10.77.0.10", None, 1)
    assert keeper.store.count() == 0
    assert keeper.admit("10.77.0.11", None, 1).result == "admitted"


def test_an_active_phone_stays_without_being_probed(parts: Parts) -> None:
    keeper, firewall, probe, clock = parts
    keeper.admit("10.77.0.10", None, 100)
    for _ in range(10):
        clock.now += IDLE / 3
        firewall.traffic("10.77.0.10", 1000)
        report = keeper.sweep()
        assert report.active == 1 and report.evicted == () and report.online == 1
    assert probe.asked == []
    session = keeper.store.get("10.77.0.10")
    assert session is not None and session.bytes == 10_000 and session.last_active == clock.now


def test_a_quiet_phone_that_answers_arp_keeps_its_slot(parts: Parts) -> None:
    keeper, _, probe, clock = parts
    keeper.admit("10.77.0.10", None, 100)
    probe.here.add("10.77.0.10")
    clock.now += IDLE - 1
    assert keeper.sweep().present == () and probe.asked == []  # not idle yet
    clock.now += 1
    report = keeper.sweep()
    assert report.present == ("10.77.0.10",) and report.evicted == ()
    assert probe.asked == ["10.77.0.10"]
    clock.now += 30
    assert keeper.sweep().present == ("10.77.0.10",)
    assert probe.asked == ["10.77.0.10"]  # answered a moment ago: not asked again yet
    clock.now += 60
    keeper.sweep()
    assert probe.asked == ["10.77.0.10", "10.77.0.10"]
    assert keeper.store.count() == 1


def test_a_quiet_phone_that_left_frees_its_slot(parts: Parts) -> None:
    keeper, firewall, probe, clock = parts
    keeper.admit("10.77.0.10", None, 1)
    probe.here.add("10.77.0.10")
    clock.now += IDLE
    keeper.sweep()  # still here
    probe.here.clear()  # walked away
    assert keeper.admit("10.77.0.11", None, 1).result == "full"
    clock.now += 61
    report = keeper.sweep()
    assert [s.ip for s in report.gone] == ["10.77.0.10"] and report.online == 0
    assert "10.77.0.10" not in firewall.admitted
    assert firewall.forgotten[-1] == "10.77.0.10"
    assert keeper.store.get("10.77.0.10") is None
    assert keeper.admit("10.77.0.11", None, 1).result == "admitted"


def test_time_up_ends_even_an_active_phone_that_answers(parts: Parts) -> None:
    keeper, firewall, probe, clock = parts
    keeper.admit("10.77.0.10", None, 100)
    probe.here.add("10.77.0.10")
    clock.now += HOUR - 1
    firewall.traffic("10.77.0.10", 10)
    assert keeper.sweep().evicted == ()
    clock.now += 1
    firewall.traffic("10.77.0.10", 10)
    report = keeper.sweep()
    assert [s.ip for s in report.expired] == ["10.77.0.10"] and report.gone == ()
    assert firewall.admitted == {} and keeper.store.count() == 0


def test_a_phone_that_tapped_again_while_being_probed_is_spared(parts: Parts) -> None:
    keeper, firewall, _, clock = parts
    keeper.admit("10.77.0.10", None, 100)
    clock.now += IDLE

    def probe_while_staff_kick_and_phone_retaps(ip: str) -> bool:
        keeper.kick(ip)
        keeper.admit(ip, None, 100)
        return False

    keeper.probe = probe_while_staff_kick_and_phone_retaps
    report = keeper.sweep()
    assert report.gone == ()
    session = keeper.store.get("10.77.0.10")
    assert session is not None and session.started == clock.now
    assert "10.77.0.10" in firewall.admitted


def test_one_firewall_error_does_not_stop_the_sweep(
    parts: Parts, caplog: pytest.LogCaptureFixture
) -> None:
    keeper, firewall, _, clock = parts
    keeper.admit("10.77.0.10", None, 100)
    keeper.admit("10.77.0.11", None, 100)
    firewall.broken.add("10.77.0.10")
    clock.now += IDLE
    report = keeper.sweep()
    assert {s.ip for s in report.gone} == {"10.77.0.10", "10.77.0.11"}
    assert report.failed == ("10.77.0.10",) and keeper.store.count() == 0
    assert "10.77.0.11" not in firewall.admitted
    assert "could not release 10.77.0.10" in caplog.text


def test_kick_ends_the_session_in_store_and_firewall(parts: Parts) -> None:
    keeper, firewall, _, _ = parts
    keeper.admit("10.77.0.10", None, 100)
    kicked = keeper.kick("10.77.0.10")
    assert kicked is not None and kicked.ip == "10.77.0.10"
    assert firewall.admitted == {} and firewall.forgotten[-1] == "10.77.0.10"
    assert keeper.kick("10.77.0.10") is None


def test_a_restart_drops_nobody_and_brings_back_nobody_expired(path: Path) -> None:
    clock, probe, first_firewall = Clock(), Probe(), MemoryFirewall()
    with SessionStore(path) as store:
        before = keeper_for(store, first_firewall, probe, clock)
        before.admit("10.77.0.10", None, 100)
        clock.now += 1800
        before.admit("10.77.0.11", "02:00:00:00:00:02", 100)
        first_firewall.traffic("10.77.0.11", 7000)
        before.sweep()
    clock.now += 1900  # the gateway was down for a while: 10.77.0.10's hour is over
    firewall = MemoryFirewall()  # a restart builds the nft table anew: nobody is in it
    with SessionStore(path) as store:
        keeper = keeper_for(store, firewall, probe, clock)
        restored = keeper.restore()
        assert [s.ip for s in restored] == ["10.77.0.11"]
        assert firewall.admitted == {"10.77.0.11": HOUR - 1900}
        assert [s.ip for s in store.sessions()] == ["10.77.0.11"]
        # Counting starts again from 0 in the new set: new traffic is activity, the total grows.
        clock.now += 10
        firewall.traffic("10.77.0.11", 500)
        assert keeper.sweep().active == 1
        session = store.get("10.77.0.11")
        assert session is not None and session.bytes == 7500 and session.mac is not None


def test_a_restore_into_a_firewall_that_already_has_the_sessions_admits_nobody_twice(
    path: Path,
) -> None:
    clock, probe = Clock(), Probe()
    with SessionStore(path) as store:
        keeper_for(store, MemoryFirewall(), probe, clock).admit("10.77.0.10", None, 100)
    firewall = MemoryFirewall()
    with SessionStore(path) as store:
        restored = keeper_for(store, firewall, probe, clock).restore(readmit=False)
    assert [s.ip for s in restored] == ["10.77.0.10"] and firewall.admitted == {}
