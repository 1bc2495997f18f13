"""The fleet's Prometheus configuration, alert rules and Grafana dashboard hang together, and
use only the metrics docs/metrics.md promises."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from gateway.demo.netns import REPO

MONITORING = REPO / "deploy" / "monitoring"
METRIC = re.compile(r"\b(hotspot_[a-z_]+?)(?:_bucket|_sum|_count)?\b")


def documented() -> set[str]:
    table = (REPO / "docs" / "metrics.md").read_text()
    return set(re.findall(r"^\| `(hotspot_[a-z_]+)` \|", table, re.MULTILINE))


def load_yaml(path: Path) -> Any:
    return YAML(typ="safe").load(path.read_text())


def expressions() -> list[str]:
    """Every PromQL expression the dashboard and the alerts use."""
    dashboard = json.loads((MONITORING / "grafana-dashboard.json").read_text())
    exprs = [t["expr"] for panel in dashboard["panels"] for t in panel["targets"]]
    rules = load_yaml(MONITORING / "alerts.yml")["groups"][0]["rules"]
    return exprs + [rule["expr"] for rule in rules]


def test_every_metric_used_is_documented_and_every_documented_one_is_used() -> None:
    used = {match for expr in expressions() for match in METRIC.findall(expr)}
    assert used - documented() == set()
    assert documented() - used <= {"hotspot_proxy_connections_total", "hotspot_blocklist_entries"}
    assert len(documented()) == 14


def test_the_dashboard_shows_what_staff_watch() -> None:
    dashboard = json.loads((MONITORING / "grafana-dashboard.json").read_text())
    titles = " | ".join(panel["title"] for panel in dashboard["panels"])
    for needed in ("phones online against the cap", "blocked by category", "Uplink", "list age"):
        assert needed in titles
    assert len({panel["id"] for panel in dashboard["panels"]}) == len(dashboard["panels"])
    variables = {v["name"] for v in dashboard["templating"]["list"]}
    assert variables == {"datasource", "site"}


def test_alerts_and_scrape_config_are_complete() -> None:
    config = load_yaml(MONITORING / "prometheus.yml")
    job = config["scrape_configs"][0]
    assert job["job_name"] == "hotspot-gateways" and job["metrics_path"] == "/metrics"
    assert config["rule_files"] == ["alerts.yml"]
    for target in (MONITORING / "targets").glob("*.yml"):
        for group in load_yaml(target):
            assert group["targets"] and group["labels"]["site"]
    rules = load_yaml(MONITORING / "alerts.yml")["groups"][0]["rules"]
    assert {r["alert"] for r in rules} >= {"HotspotGatewayDown", "HotspotUplinkDown",
                                            "HotspotBlocklistsStale"}  # fmt: skip
    for rule in rules:
        assert rule["for"] and rule["labels"]["severity"] and rule["annotations"]["summary"]


@pytest.mark.skipif(shutil.which("promtool") is None, reason="promtool (Debian: prometheus)")
def test_promtool_accepts_the_config() -> None:
    done = subprocess.run(["promtool", "check", "config", str(MONITORING / "prometheus.yml")],
                          capture_output=True, text=True, timeout=60)  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    # Every alert's expression parses as PromQL.
    rules = subprocess.run(["promtool", "check", "rules", str(MONITORING / "alerts.yml")],
                           capture_output=True, text=True, timeout=60)  # fmt: skip
    assert rules.returncode == 0 and "SUCCESS: 5 rules found" in rules.stdout, rules.stderr
