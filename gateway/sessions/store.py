"""The session store: who is admitted, in SQLite (WAL) shared by the portal's threads and the CLI.

Times are wall-clock seconds (the caller passes `now`): they must survive a restart, so a
monotonic clock would not do. A clock jump (a mini-PC without an RTC battery syncing NTP at boot)
shifts every session's remaining time by the jump; the nft element timeouts move with it.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from gateway.sessions.macs import normalise_mac

if TYPE_CHECKING:
    from gateway.config import GatewayConfig

SESSIONS_FILE = "sessions.sqlite3"
# A portal request waits this long for another writer (a sweep, `sessions kick`) to finish;
# every transaction here is a few statements, so hitting it means something is stuck.
BUSY_TIMEOUT_S = 5.0

# MIGRATIONS[v] brings the schema from user_version v to v + 1; append, never edit.
MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        # `counter` is the firewall's byte counter last seen for this IP, `bytes` the session's
        # total: kept apart so a firewall reload (counters back to 0) does not lose the total.
        """CREATE TABLE sessions (
            ip TEXT PRIMARY KEY,
            mac TEXT,
            started REAL NOT NULL,
            last_active REAL NOT NULL,
            expires REAL NOT NULL,
            bytes INTEGER NOT NULL DEFAULT 0,
            counter INTEGER NOT NULL DEFAULT 0
        ) STRICT""",
        # One session per phone: a known MAC on a new IP moves its session (see admit).
        "CREATE UNIQUE INDEX sessions_by_mac ON sessions (mac) WHERE mac IS NOT NULL",
    ),
)
SCHEMA_VERSION = len(MIGRATIONS)

_COLUMNS = "ip, mac, started, last_active, expires, bytes"

AdmitResult = Literal["admitted", "already", "moved", "full"]


class SessionStoreError(Exception):
    """The session database cannot be opened or used; the message is one line."""


@dataclass(frozen=True)
class Session:
    """One admitted phone: no browsing history, only its address, times and byte total."""

    ip: str
    mac: str | None
    started: float
    last_active: float
    expires: float
    bytes: int

    def remaining(self, now: float) -> float:
        """Seconds left before the session ends (0 when past)."""
        return max(0.0, self.expires - now)

    def idle_for(self, now: float) -> float:
        """Seconds since the phone last moved a byte (0 when active now)."""
        return max(0.0, now - self.last_active)


@dataclass(frozen=True)
class AdmitOutcome:
    """What admit did: the result, the phone's session (None when full), and who is online."""

    result: AdmitResult
    session: Session | None
    online: int
    moved_from: str | None = None  # the old IP of a "moved" session; the caller releases it


def sessions_path(config: GatewayConfig) -> Path:
    """Where the session database lives: beside the blocklist snapshots in the state directory."""
    return config.blocklists.state_dir / SESSIONS_FILE


def _session(row: tuple[str, str | None, float, float, float, int]) -> Session:
    return Session(*row)


class SessionStore:
    """Admitted sessions in SQLite: safe from many threads (one connection each) and processes."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._local = threading.local()
        self._lock = threading.Lock()
        # Writers of this process queue here instead of in SQLite's busy handler, which sleeps
        # in growing steps: a hundred phones pressing Connect would otherwise wait seconds.
        self._writer = threading.Lock()
        self._connections: list[tuple[threading.Thread, sqlite3.Connection]] = []
        self._closed = False
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._migrate()
        except SessionStoreError:
            self.close()
            raise
        except (sqlite3.Error, OSError) as exc:
            self.close()
            raise SessionStoreError(f"{path}: cannot open the session database: {exc}") from None

    def __enter__(self) -> SessionStore:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Close every thread's connection; the store cannot be used afterwards."""
        with self._lock:
            self._closed = True
            connections, self._connections = self._connections, []
        for _, conn in connections:
            conn.close()

    def _open(self) -> sqlite3.Connection:
        # isolation_level=None: no implicit transactions; writes say BEGIN IMMEDIATE themselves.
        conn = sqlite3.connect(
            self.path, timeout=BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=False
        )
        try:
            mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if mode != "wal":
                raise SessionStoreError(f"{self.path}: SQLite cannot use WAL here (got {mode!r})")
            # NORMAL, not FULL: in WAL mode a commit is in the WAL file once COMMIT returns, so
            # it survives the process being killed (kill -9, OOM, a crash); only a power cut
            # can lose the commits since the WAL was last synced (at a checkpoint), and never
            # corrupts the file: such a phone sees the splash once more. FULL would fsync on
            # every touch (each sweep, each active phone) on the gateway's cheap flash storage
            # for no gain a resident would notice.
            conn.execute("PRAGMA synchronous = NORMAL")
        except BaseException:
            conn.close()
            raise
        return conn

    def _connection(self) -> sqlite3.Connection:
        """The calling thread's own connection (sqlite3 connections are not for sharing)."""
        if self._closed:
            raise SessionStoreError(f"{self.path}: the session store is closed")
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is not None:
            return conn
        with self._lock:
            # Threads come and go (request pools): close what dead ones left behind.
            dead = [c for t, c in self._connections if not t.is_alive()]
            self._connections = [(t, c) for t, c in self._connections if t.is_alive()]
        for old in dead:
            old.close()
        conn = self._open()
        with self._lock:
            if self._closed:  # closed while we were opening
                conn.close()
                raise SessionStoreError(f"{self.path}: the session store is closed")
            self._connections.append((threading.current_thread(), conn))
        self._local.conn = conn
        return conn

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """A write transaction; IMMEDIATE takes the write lock first, so its reads are current."""
        conn = self._connection()
        with self._writer:
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                if conn.in_transaction:  # some errors (disk full) have rolled back already
                    conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    def _migrate(self) -> None:
        with self._write() as conn:  # two processes opening a new file migrate it once
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise SessionStoreError(
                    f"{self.path}: schema version {version} is newer than this program's "
                    f"({SCHEMA_VERSION}); upgrade hotspot-gateway"
                )
            for statements in MIGRATIONS[version:]:
                for statement in statements:
                    conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    def admit(
        self, ip: str, mac: str | None, now: float, max_clients: int, session_timeout: float
    ) -> AdmitOutcome:
        """Admit a phone, moving its session if its MAC is known, unless the hotspot is full.

        `mac` in any spelling (ValueError on junk): it is stored normalised, so one phone is
        recognised whichever tool read its address.
        """
        mac = None if mac is None else normalise_mac(mac)
        with self._write() as conn:
            # Expired sessions first, so their slots are free; nft has already dropped them
            # (its element timeout is the session's expiry).
            conn.execute("DELETE FROM sessions WHERE expires <= ?", (now,))
            row = conn.execute(f"SELECT {_COLUMNS} FROM sessions WHERE ip = ?", (ip,)).fetchone()
            if row is not None:
                return AdmitOutcome("already", _session(row), self._count(conn))
            if mac is not None:
                # DHCP gave a known phone a new address: same session (start, expiry) on the
                # new IP; its firewall counter starts again from 0 there.
                old = conn.execute("SELECT ip FROM sessions WHERE mac = ?", (mac,)).fetchone()
                if old is not None:
                    row = conn.execute(
                        "UPDATE sessions SET ip = ?, last_active = max(last_active, ?), "
                        f"counter = 0 WHERE mac = ? RETURNING {_COLUMNS}",
                        (ip, now, mac),
                    ).fetchone()
                    return AdmitOutcome(
                        "moved", _session(row), self._count(conn), moved_from=old[0]
                    )
            online = self._count(conn)
            if online >= max_clients:
                return AdmitOutcome("full", None, online)
            session = Session(ip, mac, now, now, now + session_timeout, 0)
            conn.execute(
                "INSERT INTO sessions (ip, mac, started, last_active, expires) "
                "VALUES (?, ?, ?, ?, ?)",
                (ip, mac, now, now, session.expires),
            )
            return AdmitOutcome("admitted", session, online + 1)

    def remove(self, ip: str, *, started: float | None = None) -> Session | None:
        """End a session; with `started`, only that one, not a session admitted on the IP since."""
        query = f"DELETE FROM sessions WHERE ip = ? RETURNING {_COLUMNS}"
        params: tuple[object, ...] = (ip,)
        if started is not None:
            query = f"DELETE FROM sessions WHERE ip = ? AND started = ? RETURNING {_COLUMNS}"
            params = (ip, started)
        with self._write() as conn:
            row = conn.execute(query, params).fetchone()
        return None if row is None else _session(row)

    def get(self, ip: str) -> Session | None:
        """The session of one IP, if admitted."""
        conn = self._connection()
        row = conn.execute(f"SELECT {_COLUMNS} FROM sessions WHERE ip = ?", (ip,)).fetchone()
        return None if row is None else _session(row)

    def sessions(self) -> list[Session]:
        """Every session, oldest first."""
        conn = self._connection()
        rows = conn.execute(f"SELECT {_COLUMNS} FROM sessions ORDER BY started, ip").fetchall()
        return [_session(row) for row in rows]

    def count(self) -> int:
        """How many phones are admitted."""
        return self._count(self._connection())

    @staticmethod
    def _count(conn: sqlite3.Connection) -> int:
        count: int = conn.execute("SELECT count(*) FROM sessions").fetchone()[0]
        return count

    def touch(self, ip: str, total_bytes: int, now: float) -> Session | None:
        """Record the firewall's byte counter for an IP; last_active moves only if it grew."""
        with self._write() as conn:
            row = conn.execute("SELECT counter FROM sessions WHERE ip = ?", (ip,)).fetchone()
            if row is None:
                return None
            (counter,) = row
            # A counter below the last one was reset (the firewall reloaded its set): what it
            # shows now is all new traffic.
            grew = total_bytes - counter if total_bytes >= counter else total_bytes
            if grew > 0:
                conn.execute(
                    "UPDATE sessions SET bytes = bytes + ?, counter = ?, "
                    "last_active = max(last_active, ?) WHERE ip = ?",
                    (grew, total_bytes, now, ip),
                )
            elif total_bytes != counter:
                conn.execute("UPDATE sessions SET counter = ? WHERE ip = ?", (total_bytes, ip))
            row = conn.execute(f"SELECT {_COLUMNS} FROM sessions WHERE ip = ?", (ip,)).fetchone()
        return _session(row)

    def purge_expired(self, now: float) -> list[Session]:
        """Remove and return every session whose time is up."""
        with self._write() as conn:
            rows = conn.execute(
                f"DELETE FROM sessions WHERE expires <= ? RETURNING {_COLUMNS}", (now,)
            ).fetchall()
        return sorted((_session(row) for row in rows), key=lambda s: (s.started, s.ip))
