"""/metrics content: every metric docs/metrics.md promises, with values from the gateway's files."""

from __future__ import annotations

import re
import time
from pathlib import Path

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from gateway.config import BlocklistsConfig, GatewayConfig, PortalConfig
from gateway.demo.netns import REPO
from gateway.dns.counters import DnsCounters
from gateway.metrics import GatewayCollector
from gateway.portal.stats_file import stats_path, write_stats
from gateway.sessions.store import SessionStore, sessions_path
from gateway.stats_files import stats_dir
from gateway.stats_files import write_stats as publish
from tests.filters.builders import publish_lists, spec


def scrape(config: GatewayConfig) -> dict[str, list[tuple[str, dict[str, str], float]]]:
    registry = CollectorRegistry()
    registry.register(GatewayCollector(config))
    text = generate_latest(registry).decode()
    found: dict[str, list[tuple[str, dict[str, str], float]]] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found.setdefault(family.name, []).append((sample.name, sample.labels, sample.value))
    return found


def value(found: dict[str, list[tuple[str, dict[str, str], float]]], sample: str,
          **labels: str) -> float:  # fmt: skip
    for samples in found.values():
        for name, have, number in samples:
            if name == sample and have == labels:
                return number
    raise KeyError(f"{sample} {labels} not in {sorted(found)}")


def test_every_documented_metric_comes_with_the_gateway_s_numbers(tmp_path: Path) -> None:
    state = tmp_path / "state"
    config = GatewayConfig(blocklists=BlocklistsConfig(state_dir=state),
                           portal=PortalConfig(max_clients=3))  # fmt: skip
    publish_lists(state, [(spec("judi", "gambling"), "judi.test\nslot.test\n")])
    now = time.time()
    with SessionStore(sessions_path(config)) as store:
        store.admit("10.77.0.10", None, now, 3, 3600)
        store.admit("10.77.0.11", None, now, 3, 3600)
    write_stats(stats_path(state), {"connects_admitted": 2, "connects_full": 5})
    dns = DnsCounters(queries=40, cache_hits=10)
    dns.blocked["gambling"] += 4
    dns.observe_upstream(0.02, now)
    dns.observe_upstream(3.0, now)
    dns.upstream_failed("192.0.2.1:53", now - 60)
    publish(stats_dir(state), "dns", dns.to_json())
    publish(stats_dir(state), "proxy", {"sni_blocked": {"porn": 3}, "sni_allowed": {"-": 7},
                                        "http_blocked": {"gambling": 1}})  # fmt: skip
    found = scrape(config)
    assert value(found, "hotspot_phones_online") == 2
    assert value(found, "hotspot_phones_max") == 3
    assert value(found, "hotspot_admissions_total", outcome="full") == 5
    assert value(found, "hotspot_dns_queries_total") == 40
    assert value(found, "hotspot_dns_blocked_total", category="gambling") == 4
    assert value(found, "hotspot_dns_cache_hits_total") == 10
    assert value(found, "hotspot_dns_upstream_seconds_bucket", le="0.025") == 1
    assert value(found, "hotspot_dns_upstream_seconds_bucket", le="+Inf") == 2
    assert value(found, "hotspot_dns_upstream_seconds_count") == 2
    assert value(found, "hotspot_dns_upstream_errors_total", upstream="192.0.2.1:53") == 1
    assert value(found, "hotspot_uplink_up") == 1  # the last upstream answer came after the error
    assert value(found, "hotspot_proxy_connections_total") == 10
    assert value(found, "hotspot_proxy_blocked_total", kind="sni", category="porn") == 3
    assert value(found, "hotspot_proxy_blocked_total", kind="http", category="gambling") == 1
    assert value(found, "hotspot_blocklist_entries", source="judi") == 2
    assert 0 <= value(found, "hotspot_blocklist_age_seconds") < 120
    assert value(found, "hotspot_process_resident_memory_bytes", part="run") > 10 << 20
    assert value(found, "hotspot_process_resident_memory_bytes", part="dns") > 10 << 20
    table = (REPO / "docs/metrics.md").read_text()
    documented = set(re.findall(r"^\| `(hotspot_[a-z_]+)` \|", table, re.MULTILINE))
    exported = set(found) | {sample[0] for samples in found.values() for sample in samples}
    assert documented <= exported, documented - exported


def test_an_uplink_whose_last_upstream_query_failed_is_down(tmp_path: Path) -> None:
    state = tmp_path / "state"
    config = GatewayConfig(blocklists=BlocklistsConfig(state_dir=state))
    dns = DnsCounters()
    dns.observe_upstream(0.01, 1000.0)
    dns.upstream_failed("192.0.2.1:53", 2000.0)
    publish(stats_dir(state), "dns", dns.to_json())
    assert value(scrape(config), "hotspot_uplink_up") == 0
