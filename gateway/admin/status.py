"""The console's status page: what an operator on call wants at a glance.

Read from the gateway's own files: sessions, the parts' counters, the snapshot.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime

from filters.snapshot_file import SnapshotError, read_meta
from filters.store import SnapshotStore
from gateway.config import GatewayConfig
from gateway.sessions.store import SessionStore, sessions_path
from gateway.stats_files import read_stats, stats_dir

FRESH_STATS = 10.0  # the parts write every 2 s: older than this, the part is not running
STALE_LISTS = 2 * 86400.0


@dataclass(frozen=True)
class Status:
    """One look at the gateway."""

    online: int
    cap: int
    uplink: str  # up | down | unknown
    uplink_text: str
    dns_ok: bool
    dns_text: str
    proxy_ok: bool
    proxy_text: str
    lists_fresh: bool
    lists_text: str


def _part(config: GatewayConfig, part: str, now: float) -> tuple[bool, str]:
    directory = stats_dir(config.blocklists.state_dir)
    ages = [now - p.stat().st_mtime for p in directory.glob(f"{part}-*.json") if p.exists()]
    running = bool(read_stats(directory, part)) and min(ages, default=1e9) < FRESH_STATS
    return running, ("berjalan / running" if running else "tidak berjalan / not running")


def read_status(config: GatewayConfig, now: float | None = None) -> Status:
    """Gather the status now."""
    now = time.time() if now is None else now
    with SessionStore(sessions_path(config)) as store:
        online = sum(1 for s in store.sessions() if s.expires > now)
    dns = read_stats(stats_dir(config.blocklists.state_dir), "dns")
    last_ok = max((d.get("upstream_last_ok", 0.0) for d in dns), default=0.0)
    last_error = max((d.get("upstream_last_error", 0.0) for d in dns), default=0.0)
    if not (last_ok or last_error):
        uplink, uplink_text = "unknown", "belum diketahui / not known yet"
    elif last_ok >= last_error:
        uplink, uplink_text = "up", "hidup / up"
    else:
        uplink, uplink_text = "down", "putus / down: DNS hulu tidak menjawab / upstreams fail"
    dns_ok, dns_text = _part(config, "dns", now)
    proxy_ok, proxy_text = _part(config, "proxy", now)
    if not config.proxy.enabled:
        proxy_ok, proxy_text = True, "mati di konfigurasi / off in the config"
    lists_fresh, lists_text = False, "belum ada / none yet: blocklist update"
    current = SnapshotStore(config.blocklists.state_dir).current_path()
    if current is not None:
        try:
            meta = read_meta(current)
            built = datetime.strptime(meta["created"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
            age = now - built.timestamp()
            lists_fresh = age < STALE_LISTS
            lists_text = f"{meta['keys']:,} nama / names, {age / 3600:.0f} jam / hours old"
        except (SnapshotError, OSError, KeyError, ValueError) as exc:
            lists_text = f"rusak / damaged: {exc}"
    return Status(online, config.portal.max_clients, uplink, uplink_text, dns_ok, dns_text,
                  proxy_ok, proxy_text, lists_fresh, lists_text)  # fmt: skip
