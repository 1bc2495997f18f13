"""The session store on real SQLite files: admission rules, expiry, counters, schema."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from gateway.config import parse_config
from gateway.sessions.store import (
    SCHEMA_VERSION,
    Session,
    SessionStore,
    SessionStoreError,
    sessions_path,
)
from tests.gateway.sessions.workers import HOUR, NOW

PHONE_A = "02:11:22:33:44:55"
PHONE_B = "3c:22:fb:00:00:01"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SessionStore]:
    with SessionStore(tmp_path / "state" / "sessions.sqlite3") as opened:
        yield opened


def test_admit_then_press_again_is_already(store: SessionStore) -> None:
    first = store.admit("10.77.0.10", PHONE_A, NOW, 100, HOUR)
    assert first.result == "admitted" and first.online == 1
    assert first.session == Session("10.77.0.10", PHONE_A, NOW, NOW, NOW + HOUR, 0)
    again = store.admit("10.77.0.10", PHONE_A, NOW + 60, 100, HOUR)
    assert (again.result, again.session, again.online) == ("already", first.session, 1)
    assert store.count() == 1 and store.get("10.77.0.10") == first.session


def test_full_at_max_clients_and_a_slot_frees_when_one_leaves(store: SessionStore) -> None:
    for i in range(3):
        assert store.admit(f"10.77.0.{i + 10}", None, NOW, 3, HOUR).result == "admitted"
    full = store.admit("10.77.0.99", None, NOW, 3, HOUR)
    assert (full.result, full.session, full.online) == ("full", None, 3)
    assert store.get("10.77.0.99") is None
    assert store.remove("10.77.0.11") is not None
    assert store.admit("10.77.0.99", None, NOW, 3, HOUR).result == "admitted"


def test_a_known_mac_on_a_new_ip_moves_its_session(store: SessionStore) -> None:
    first = store.admit("10.77.0.10", PHONE_A, NOW, 2, HOUR)
    store.touch("10.77.0.10", 5000, NOW + 10)
    store.admit("10.77.0.11", PHONE_B, NOW, 2, HOUR)  # now full
    moved = store.admit("10.77.0.12", PHONE_A, NOW + 100, 2, HOUR)
    assert moved.result == "moved" and moved.moved_from == "10.77.0.10"
    assert moved.online == 2 and moved.session is not None
    assert moved.session.ip == "10.77.0.12" and moved.session.mac == PHONE_A
    assert first.session is not None
    assert (moved.session.started, moved.session.expires) == (NOW, first.session.expires)
    assert moved.session.bytes == 5000 and moved.session.last_active == NOW + 100
    assert store.get("10.77.0.10") is None
    # The firewall counts the new IP from zero: 300 bytes there are 300 new bytes.
    touched = store.touch("10.77.0.12", 300, NOW + 110)
    assert touched is not None and touched.bytes == 5300


def test_a_mac_is_the_same_phone_in_any_spelling(store: SessionStore) -> None:
    store.admit("10.77.0.10", "02-11-22-33-44-55", NOW, 100, HOUR)
    assert store.sessions()[0].mac == PHONE_A
    moved = store.admit("10.77.0.11", "0211.2233.4455", NOW, 100, HOUR)
    assert moved.result == "moved" and moved.moved_from == "10.77.0.10"
    with pytest.raises(ValueError, match="not a MAC address: 'hp-andi'"):
        store.admit("10.77.0.12", "hp-andi", NOW, 100, HOUR)
    assert store.count() == 1


def test_phones_without_a_known_mac_never_move(store: SessionStore) -> None:
    store.admit("10.77.0.10", None, NOW, 100, HOUR)
    assert store.admit("10.77.0.11", None, NOW, 100, HOUR).result == "admitted"
    assert store.count() == 2


def test_expired_sessions_leave_before_the_cap_is_checked(store: SessionStore) -> None:
    store.admit("10.77.0.10", None, NOW, 1, HOUR)
    assert store.admit("10.77.0.11", None, NOW + HOUR - 1, 1, HOUR).result == "full"
    late = store.admit("10.77.0.11", None, NOW + HOUR, 1, HOUR)
    assert late.result == "admitted" and late.online == 1
    assert [s.ip for s in store.sessions()] == ["10.77.0.11"]


def test_an_expired_session_is_not_already_admitted(store: SessionStore) -> None:
    store.admit("10.77.0.10", PHONE_A, NOW, 100, HOUR)
    again = store.admit("10.77.0.10", PHONE_A, NOW + HOUR + 1, 100, HOUR)
    assert again.result == "admitted" and again.session is not None
    assert again.session.started == NOW + HOUR + 1


def test_purge_expired_returns_only_the_expired(store: SessionStore) -> None:
    store.admit("10.77.0.10", None, NOW, 100, HOUR)
    store.admit("10.77.0.11", None, NOW + 600, 100, HOUR)
    store.admit("10.77.0.12", None, NOW + 1200, 100, HOUR)
    purged = store.purge_expired(NOW + HOUR + 600)
    assert [s.ip for s in purged] == ["10.77.0.10", "10.77.0.11"]
    assert [s.ip for s in store.sessions()] == ["10.77.0.12"]
    assert store.purge_expired(NOW + HOUR + 600) == []


def test_touch_moves_last_active_only_when_the_counter_grew(store: SessionStore) -> None:
    store.admit("10.77.0.10", None, NOW, 100, HOUR)
    assert store.touch("10.77.0.10", 0, NOW + 10) == store.get("10.77.0.10")
    session = store.get("10.77.0.10")
    assert session is not None and (session.last_active, session.bytes) == (NOW, 0)
    grown = store.touch("10.77.0.10", 1500, NOW + 20)
    assert grown is not None and (grown.last_active, grown.bytes) == (NOW + 20, 1500)
    same = store.touch("10.77.0.10", 1500, NOW + 300)
    assert same is not None and (same.last_active, same.bytes) == (NOW + 20, 1500)
    assert same.idle_for(NOW + 300) == 280 and same.remaining(NOW + 300) == HOUR - 300


def test_a_reset_counter_keeps_the_total_and_counts_again(store: SessionStore) -> None:
    store.admit("10.77.0.10", None, NOW, 100, HOUR)
    store.touch("10.77.0.10", 10_000, NOW + 10)
    reset = store.touch("10.77.0.10", 0, NOW + 20)  # the firewall reloaded its set
    assert reset is not None and (reset.bytes, reset.last_active) == (10_000, NOW + 10)
    after = store.touch("10.77.0.10", 400, NOW + 30)
    assert after is not None and (after.bytes, after.last_active) == (10_400, NOW + 30)
    smaller = store.touch("10.77.0.10", 100, NOW + 40)  # reset again, and 100 new bytes
    assert smaller is not None and (smaller.bytes, smaller.last_active) == (10_500, NOW + 40)


def test_touch_and_remove_of_an_unknown_ip_change_nothing(store: SessionStore) -> None:
    assert store.touch("10.77.0.10", 100, NOW) is None
    assert store.remove("10.77.0.10") is None
    assert store.count() == 0


def test_remove_with_started_spares_a_newer_session(store: SessionStore) -> None:
    old = store.admit("10.77.0.10", None, NOW, 100, HOUR).session
    assert old is not None
    store.remove("10.77.0.10")
    store.admit("10.77.0.10", None, NOW + 5, 100, HOUR)
    assert store.remove("10.77.0.10", started=old.started) is None
    removed = store.remove("10.77.0.10", started=NOW + 5)
    assert removed is not None and removed.started == NOW + 5


def test_sessions_are_listed_oldest_first(store: SessionStore) -> None:
    store.admit("10.77.0.30", None, NOW + 2, 100, HOUR)
    store.admit("10.77.0.20", None, NOW + 1, 100, HOUR)
    store.admit("10.77.0.10", None, NOW + 2, 100, HOUR)
    assert [s.ip for s in store.sessions()] == ["10.77.0.20", "10.77.0.10", "10.77.0.30"]


def test_schema_is_versioned_and_the_database_is_in_wal_mode(tmp_path: Path) -> None:
    path = tmp_path / "sessions.sqlite3"
    SessionStore(path).close()
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 1
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    finally:
        conn.close()
    SessionStore(path).close()  # opening again migrates nothing and keeps the version


def test_a_newer_schema_is_refused_with_one_line(tmp_path: Path) -> None:
    path = tmp_path / "sessions.sqlite3"
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA user_version = 7")
    conn.close()
    with pytest.raises(SessionStoreError, match=r"schema version 7 is newer .*\(1\)") as info:
        SessionStore(path)
    assert "\n" not in str(info.value)


def test_a_file_that_is_not_a_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "sessions.sqlite3"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(SessionStoreError, match="cannot open the session database"):
        SessionStore(path)


def test_a_closed_store_refuses_to_work(tmp_path: Path) -> None:
    store = SessionStore(tmp_path / "sessions.sqlite3")
    store.count()
    store.close()
    with pytest.raises(SessionStoreError, match="closed"):
        store.count()


def test_sessions_path_is_in_the_state_dir(tmp_path: Path) -> None:
    config = parse_config({"blocklists": {"state_dir": str(tmp_path / "st")}})
    assert sessions_path(config) == tmp_path / "st" / "sessions.sqlite3"
