"""The gateway's metrics in Prometheus form (docs/metrics.md), read fresh at every scrape.

The resolver and the proxy run in processes of their own and publish their counters as files
(`gateway/stats_files.py`); the portal's counters, the sessions and the snapshot are on disk
too. So one collector reads them all when Prometheus asks, and `run`'s own process serves them:
nothing is counted twice and a restarted part simply starts its counters again.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily
from prometheus_client.registry import Collector

from filters.snapshot_file import SnapshotError, read_meta
from filters.store import SnapshotStore
from gateway.config import GatewayConfig
from gateway.dns.counters import UPSTREAM_BUCKETS
from gateway.portal.stats_file import read_stats as read_portal_stats
from gateway.portal.stats_file import stats_path
from gateway.sessions.store import SessionStore, SessionStoreError, sessions_path
from gateway.stats_files import read_stats, stats_dir

Metric = GaugeMetricFamily | CounterMetricFamily | HistogramMetricFamily
PROXY_BLOCKS = {"sni_blocked": "sni", "http_blocked": "http", "no_sni_blocked": "no_sni"}


def resident_memory(pid: int) -> int | None:
    """A process's resident memory in bytes, from /proc."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


class GatewayCollector(Collector):
    """Collects every metric of docs/metrics.md from the gateway's files."""

    def __init__(self, config: GatewayConfig, clock: Callable[[], float] = time.time) -> None:
        self.config = config
        self.clock = clock
        self.state_dir = config.blocklists.state_dir

    def collect(self) -> Iterator[Metric]:
        """One scrape."""
        yield from self._sessions()
        yield from self._dns()
        yield from self._proxy()
        yield from self._lists()
        yield from self._memory()

    def _sessions(self) -> Iterator[Metric]:
        online = GaugeMetricFamily("hotspot_phones_online", "Phones admitted now.")
        try:
            with SessionStore(sessions_path(self.config)) as store:
                now = self.clock()
                online.add_metric([], sum(1 for s in store.sessions() if s.expires > now))
        except (SessionStoreError, OSError):
            pass  # no store yet: the gauge is left out rather than reported as zero
        yield online
        cap = GaugeMetricFamily("hotspot_phones_max", "Phones allowed online at once.")
        cap.add_metric([], self.config.portal.max_clients)
        yield cap
        portal = read_portal_stats(stats_path(self.state_dir)) or {}
        admissions = CounterMetricFamily(
            "hotspot_admissions", "Presses of Connect, by outcome.", labels=["outcome"]
        )
        admissions.add_metric(["admitted"], portal.get("connects_admitted", 0))
        admissions.add_metric(["full"], portal.get("connects_full", 0))
        admissions.add_metric(["refused"], portal.get("connects_rejected_token", 0))
        yield admissions

    def _dns(self) -> Iterator[Metric]:
        parts = read_stats(stats_dir(self.state_dir), "dns")
        queries = CounterMetricFamily("hotspot_dns_queries", "DNS queries answered.")
        queries.add_metric([], sum(p.get("queries", 0) for p in parts))
        yield queries
        blocked = CounterMetricFamily(
            "hotspot_dns_blocked", "Queries answered as blocked.", labels=["category"]
        )
        for category, count in _summed(p.get("blocked", {}) for p in parts).items():
            blocked.add_metric([category], count)
        yield blocked
        hits = CounterMetricFamily("hotspot_dns_cache_hits", "Queries answered from the cache.")
        hits.add_metric([], sum(p.get("cache_hits", 0) for p in parts))
        yield hits
        errors = CounterMetricFamily(
            "hotspot_dns_upstream_errors", "Upstream timeouts and failures.", labels=["upstream"]
        )
        for upstream, count in _summed(p.get("upstream_errors", {}) for p in parts).items():
            errors.add_metric([upstream], count)
        yield errors
        yield _upstream_histogram(parts)
        up = GaugeMetricFamily(
            "hotspot_uplink_up", "1 while the upstream resolvers answer through the uplink."
        )
        last_ok = max((p.get("upstream_last_ok", 0.0) for p in parts), default=0.0)
        last_error = max((p.get("upstream_last_error", 0.0) for p in parts), default=0.0)
        if parts and (last_ok or last_error):
            up.add_metric([], 1.0 if last_ok >= last_error else 0.0)
        yield up

    def _proxy(self) -> Iterator[Metric]:
        parts = read_stats(stats_dir(self.state_dir), "proxy")
        connections = CounterMetricFamily(
            "hotspot_proxy_connections", "Connections the proxy took."
        )
        taken = ("sni_blocked", "sni_allowed", "no_sni_blocked", "no_sni_allowed")
        connections.add_metric([], sum(sum(p.get(e, {}).values()) for p in parts for e in taken))
        yield connections
        blocked = CounterMetricFamily(
            "hotspot_proxy_blocked",
            "Connections and requests refused.",
            labels=["kind", "category"],
        )
        for event, kind in PROXY_BLOCKS.items():
            for category, count in _summed(p.get(event, {}) for p in parts).items():
                blocked.add_metric([kind, category], count)
        yield blocked

    def _lists(self) -> Iterator[Metric]:
        entries = GaugeMetricFamily(
            "hotspot_blocklist_entries",
            "Entries each source gave the snapshot in force.",
            labels=["source"],
        )
        age = GaugeMetricFamily(
            "hotspot_blocklist_age_seconds", "Seconds since the snapshot in force was built."
        )
        current = SnapshotStore(self.state_dir).current_path()
        if current is not None:
            try:
                meta = read_meta(current)
                for source in meta.get("sources", []):
                    entries.add_metric([source["name"]], source.get("entries", 0))
                built = datetime.strptime(meta["created"], "%Y-%m-%dT%H:%M:%SZ")
                age.add_metric([], max(0.0, self.clock() - built.replace(tzinfo=UTC).timestamp()))
            except (SnapshotError, OSError, KeyError, ValueError):
                pass
        yield entries
        yield age

    def _memory(self) -> Iterator[Metric]:
        memory = GaugeMetricFamily(
            "hotspot_process_resident_memory_bytes",
            "Resident memory of each process.",
            labels=["part"],
        )
        parts: dict[str, int] = {}
        own = resident_memory(os.getpid())
        if own is not None:
            parts["run"] = own
        directory = stats_dir(self.state_dir)
        for part in ("dns", "proxy"):
            for path in directory.glob(f"{part}-*.json"):
                pid = path.stem.rpartition("-")[2]
                size = resident_memory(int(pid)) if pid.isdigit() else None
                if size is not None:
                    parts[part] = parts.get(part, 0) + size
        for part, size in parts.items():
            memory.add_metric([part], size)
        yield memory


def _summed(counts: Iterator[dict[str, int]] | list[dict[str, int]]) -> dict[str, int]:
    total: dict[str, int] = {}
    for each in counts:
        for key, value in each.items():
            total[key] = total.get(key, 0) + int(value)
    return total


def _upstream_histogram(parts: list[dict[str, object]]) -> HistogramMetricFamily:
    """The upstream latency histogram, summed over the resolver's processes."""
    counts = [0] * (len(UPSTREAM_BUCKETS) + 1)
    total = 0.0
    for part in parts:
        buckets = part.get("upstream_buckets")
        if isinstance(buckets, list) and len(buckets) == len(counts):
            counts = [a + int(b) for a, b in zip(counts, buckets, strict=True)]
        seconds = part.get("upstream_seconds", 0.0)
        total += float(seconds) if isinstance(seconds, int | float) else 0.0
    cumulative, running = [], 0
    for bound, count in zip([*map(str, UPSTREAM_BUCKETS), "+Inf"], counts, strict=True):
        running += count
        cumulative.append((bound, running))
    histogram = HistogramMetricFamily(
        "hotspot_dns_upstream_seconds", "Time an upstream took to answer."
    )
    histogram.add_metric([], cumulative, sum_value=total)
    return histogram
