"""FirewallPlan from the config, and the checks that keep bad values out of nft text."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from gateway.config import GatewayConfig, parse_config
from gateway.firewall.plan import FirewallPlan, interface_name, ipv4_address, plan_from_config

BASE = {
    "lan_interface": "eth1",
    "wan_interface": "eth0",
    "lan_address": "10.77.0.1",
    "client_subnet": "10.77.0.0/24",
    "portal_port": 80,
}


def test_default_config_gives_the_documented_plan() -> None:
    plan = plan_from_config(GatewayConfig())
    assert plan == FirewallPlan(**BASE)  # type: ignore[arg-type]
    assert (plan.https_port, plan.proxy_port, plan.dns_port, plan.closed) == (None, None, 53, False)
    assert (plan.uplink_mbit, plan.downlink_mbit) == (0, 0)


def test_config_values_reach_the_plan() -> None:
    config = parse_config(
        {
            "network": {"lan_interface": "br-lan", "wan_interface": "enp1s0"},
            "portal": {"listen": "10.77.0.1:8000"},
            "firewall": {"uplink_mbit": 20, "downlink_mbit": 100},
        }
    )
    plan = plan_from_config(config, proxy_port=8443)
    assert (plan.lan_interface, plan.wan_interface) == ("br-lan", "enp1s0")
    assert (plan.portal_port, plan.proxy_port) == (8000, 8443)
    assert (plan.uplink_mbit, plan.downlink_mbit) == (20, 100)


def test_https_port_only_with_a_certificate() -> None:
    config = GatewayConfig()
    assert plan_from_config(config).https_port is None
    portal = replace(
        config.portal, tls_cert=Path("/c.pem"), tls_key=Path("/k.pem"), https_port=8444
    )
    assert plan_from_config(replace(config, portal=portal)).https_port == 8444


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"lan_interface": 'eth1" accept'}, "not a usable interface name"),
        ({"lan_interface": "x" * 16}, "not a usable interface name"),
        ({"wan_interface": ""}, "not a usable interface name"),
        ({"wan_interface": "eth1"}, "same interface"),
        ({"lan_address": "10.77.0.1; flush ruleset"}, "not an IPv4 address"),
        ({"lan_address": "10.99.0.1"}, "outside"),
        ({"client_subnet": "fd00::/64"}, "not an IPv4 network"),
        ({"portal_port": 0}, "portal_port"),
        ({"proxy_port": 70000}, "proxy_port"),
        ({"https_port": True}, "https_port"),
        ({"uplink_mbit": -1}, "uplink_mbit"),
    ],
)
def test_bad_plans_are_refused(changes: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        FirewallPlan(**{**BASE, **changes})  # type: ignore[arg-type]


@pytest.mark.parametrize("text", ["10.1", "0x0a000001", "10.0.0.256", "fd00::1", " 10.0.0.1", ""])
def test_only_plain_ipv4_addresses_pass(text: str) -> None:
    with pytest.raises(ValueError, match="not an IPv4 address"):
        ipv4_address(text)


def test_addresses_and_names_come_back_canonical() -> None:
    assert ipv4_address("10.77.0.10") == "10.77.0.10"
    assert interface_name("hg-lan") == "hg-lan"
