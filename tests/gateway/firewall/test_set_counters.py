"""parse_set_counters on output that real nft produced."""

from __future__ import annotations

import subprocess

import pytest

from gateway.firewall.plan import FirewallPlan
from gateway.firewall.ruleset import AdmittedClient, render_ruleset
from gateway.firewall.set_counters import CounterFormatError, parse_set_counters

# `nft -j list set inet hotspot_gateway admitted` from nftables 1.0.6 (Debian 12), kept verbatim.
RECORDED = (
    '{"nftables": [{"metainfo": {"version": "1.0.6", "release_name": "Lester Gooch #5", '
    '"json_schema_version": 1}}, {"set": {"family": "inet", "name": "admitted", "table": '
    '"hotspot_gateway", "type": "ipv4_addr", "handle": 4, "flags": ["timeout"], "elem": '
    '[{"elem": {"val": "10.77.0.10", "timeout": 3600, "expires": 3571, "counter": {"packets": '
    '212, "bytes": 265199}}}, {"elem": {"val": "10.77.0.20", "timeout": 60, "expires": 31, '
    '"counter": {"packets": 7, "bytes": 451}}}], "stmt": [{"counter": null}]}}]}'
)
PLAN = FirewallPlan(
    lan_interface="br-lan",
    wan_interface="eth0",
    lan_address="10.77.0.1",
    client_subnet="10.77.0.0/24",
    portal_port=80,
)


def test_recorded_output() -> None:
    assert parse_set_counters(RECORDED) == {"10.77.0.10": 265199, "10.77.0.20": 451}


def test_live_output_of_this_machines_nft() -> None:
    # A throwaway network namespace: load our table, list the set as JSON, parse it.
    script = render_ruleset(
        PLAN, [AdmittedClient("10.77.0.10", 60), AdmittedClient("10.77.0.11", 30)]
    )
    command = "nft -f - && nft -j list set inet hotspot_gateway admitted"
    done = subprocess.run(
        ["unshare", "--net", "sh", "-c", command],
        input=script,
        capture_output=True,
        text=True,
        timeout=10,
        check=True,
    )
    assert parse_set_counters(done.stdout) == {"10.77.0.10": 0, "10.77.0.11": 0}


def test_empty_set_and_bare_elements() -> None:
    empty = '{"nftables": [{"metainfo": {}}, {"set": {"name": "admitted"}}]}'
    assert parse_set_counters(empty) == {}
    bare = '{"nftables": [{"set": {"name": "admitted", "elem": ["10.77.0.10"]}}]}'
    assert parse_set_counters(bare) == {"10.77.0.10": 0}


@pytest.mark.parametrize(
    "text",
    [
        "",
        "Error: No such file or directory",
        '{"nftables": []}',
        '{"nftables": [{"set": {"elem": [{"elem": {"val": 3}}]}}]}',
        '{"nftables": [{"set": {"elem": [{"elem": {"val": "10.0.0.1", "counter": '
        '{"bytes": "many"}}}]}}]}',
    ],
)
def test_unexpected_output_is_a_clear_error(text: str) -> None:
    with pytest.raises(CounterFormatError):
        parse_set_counters(text)
