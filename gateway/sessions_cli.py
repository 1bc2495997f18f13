"""`hotspot-gateway sessions ...`: see who is online and end a session, over gateway/sessions/."""

from __future__ import annotations

import argparse
import ipaddress
import json
import sqlite3
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from functools import partial
from typing import Any

from gateway.config import GatewayConfig, load_config
from gateway.errors import CommandFailed, UsageError
from gateway.portal.probes import OS_FAMILIES
from gateway.portal.stats_file import read_stats, stats_path, stats_summary
from gateway.sessions.macs import is_randomised
from gateway.sessions.store import Session, SessionStore, SessionStoreError, sessions_path

AddOptions = Callable[[argparse.ArgumentParser], None]
# Releases one IP from the running firewall (nft element and conntrack entries); raises on
# failure with a one-line message. Wired by gateway/cli.py, which knows the firewall.
FirewallRelease = Callable[[GatewayConfig, str], None]

HEADERS = ("IP", "MAC", "ONLINE SEJAK / SINCE", "DIAM / IDLE", "SISA / LEFT", "DATA")
RANDOM_MARK = "(acak/random)"


def add_sessions_commands(
    commands: Any, add_common: AddOptions, release_from_firewall: FirewallRelease | None = None
) -> None:
    """Register `sessions list` and `sessions kick IP`; kick releases through the given callable."""
    sessions = commands.add_parser("sessions", help="see who is online and end a session")
    sub = sessions.add_subparsers(dest="action", required=True, parser_class=type(sessions))

    def command(name: str, handler: Callable[[argparse.Namespace], int], help_text: str) -> Any:
        parser = sub.add_parser(name, help=help_text, description=help_text)
        add_common(parser)
        parser.set_defaults(handler=handler)
        return parser

    listing = command("list", cmd_list, "the phones online: MAC, since when, idle, time left")
    listing.add_argument("--json", action="store_true", help="print the sessions as JSON")
    kick = command(
        "kick",
        partial(cmd_kick, release_from_firewall=release_from_firewall),
        "end a phone's session now (store, then firewall)",
    )
    kick.add_argument("ip", help="the phone's IPv4 address")


def _store(config: GatewayConfig) -> SessionStore:
    try:
        return SessionStore(sessions_path(config))
    except SessionStoreError as exc:
        raise CommandFailed(str(exc)) from None


def _ip_argument(raw: str) -> str:
    try:
        return str(ipaddress.IPv4Address(raw.strip()))
    except ValueError:
        raise UsageError(f"sessions kick: not an IP address: {raw!r}") from None


def _clock(seconds: float) -> str:
    """A duration as H:MM:SS, the same in both languages."""
    whole = int(seconds)
    return f"{whole // 3600}:{whole % 3600 // 60:02d}:{whole % 60:02d}"


def _size(count: int) -> str:
    for unit, scale in (("GB", 10**9), ("MB", 10**6), ("KB", 10**3)):
        if count >= scale:
            return f"{count / scale:.1f} {unit}"
    return f"{count} B"


def _mac_text(mac: str | None) -> str:
    if mac is None:
        return "-"
    return f"{mac} {RANDOM_MARK}" if is_randomised(mac) else mac


def format_sessions(sessions: Sequence[Session], now: float, max_clients: int) -> str:
    """The `sessions list` table, one phone a line, and how many of the slots are taken."""
    footer = f"{len(sessions)} online dari / of {max_clients}"
    if not sessions:
        return f"tidak ada sesi / no sessions\n{footer}\n"
    rows = [
        (
            s.ip,
            _mac_text(s.mac),
            time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(s.started)),
            _clock(s.idle_for(now)),
            _clock(s.remaining(now)),
            _size(s.bytes),
        )
        for s in sessions
    ]
    widths = [max(len(row[i]) for row in (HEADERS, *rows)) for i in range(len(HEADERS))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
             for row in (HEADERS, *rows)]  # fmt: skip
    return "\n".join([*lines, footer]) + "\n"


def _iso(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).isoformat(timespec="seconds")


def sessions_json(sessions: Sequence[Session], now: float, max_clients: int) -> dict[str, Any]:
    """`sessions list --json`: the same facts, times in UTC ISO 8601 and seconds."""
    return {
        "online": len(sessions),
        "max_clients": max_clients,
        "sessions": [
            {
                "ip": s.ip,
                "mac": s.mac,
                "randomised_mac": s.mac is not None and is_randomised(s.mac),
                "started": _iso(s.started),
                "last_active": _iso(s.last_active),
                "expires": _iso(s.expires),
                "idle_seconds": round(s.idle_for(now)),
                "remaining_seconds": round(s.remaining(now)),
                "bytes": s.bytes,
            }
            for s in sessions
        ],
    }


def cmd_list(args: argparse.Namespace) -> int:
    """`sessions list`."""
    config = load_config(args.config)
    now = time.time()
    with _store(config) as store:
        try:
            sessions = store.sessions()
        except sqlite3.Error as exc:
            raise CommandFailed(f"sessions list: cannot read the session database: {exc}") from None
    max_clients = config.portal.max_clients
    portal = read_stats(stats_path(config.blocklists.state_dir))
    if args.json:
        listing = sessions_json(sessions, now, max_clients)
        listing["portal"] = portal
        print(json.dumps(listing, ensure_ascii=False))
    else:
        print(format_sessions(sessions, now, max_clients), end="")
        if portal is not None:
            print(stats_summary(portal, OS_FAMILIES), end="")
    return 0


def cmd_kick(args: argparse.Namespace, release_from_firewall: FirewallRelease | None = None) -> int:
    """`sessions kick IP`: the store first (the slot frees at once), then the firewall."""
    ip = _ip_argument(args.ip)
    config = load_config(args.config)
    release = release_from_firewall if config.firewall.enabled else None
    if config.firewall.enabled and release is None:
        # Checked before the store is touched: half a kick would free the slot and leave the
        # phone online.
        raise CommandFailed("sessions kick: no way to release an IP from the firewall here")
    with _store(config) as store:
        try:
            session = store.remove(ip)
        except sqlite3.Error as exc:
            raise CommandFailed(
                f"sessions kick: cannot change the session database: {exc}"
            ) from None
    if session is None:
        raise CommandFailed(f"sessions kick: no session for {ip}")
    if release is not None:
        try:
            release(config, ip)
        except Exception as exc:  # the firewall's own error type; any of them fails the kick
            raise CommandFailed(
                f"sessions kick: {ip} left the session store, but the firewall did not "
                f"release it: {exc}"
            ) from None
    online = time.time() - session.started
    print(f"sesi diakhiri / session ended: {ip} (MAC {_mac_text(session.mac)}, "
          f"online {_clock(online)})")  # fmt: skip
    return 0
