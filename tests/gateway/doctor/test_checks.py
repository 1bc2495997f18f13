"""doctor's checks, judged on facts made by hand: each failure says its key and its fix."""

from __future__ import annotations

from dataclasses import replace

import pytest

from gateway.config import GatewayConfig
from gateway.doctor.checks import FAIL, OK, WARN, Finding, diagnose, start_problems
from gateway.doctor.facts import Listener, MachineFacts, parse_listeners

NOW = 1_795_000_000.0  # 2026-11-18
CONFIG = GatewayConfig()


def healthy() -> MachineFacts:
    """A gateway as it should be: everything in place and running."""
    return MachineFacts(
        addresses={"lo": ["127.0.0.1"], "eth0": ["203.0.113.5"], "eth1": ["10.77.0.1"]},
        default_route_via="eth0",
        forwarding=True,
        nft="/usr/sbin/nft",
        listeners=[
            Listener("udp", "10.77.0.1", 53, 100, "python3", ours=True),
            Listener("tcp", "10.77.0.1", 53, 100, "python3", ours=True),
            Listener("tcp", "10.77.0.1", 80, 99, "hotspot-gateway", ours=True),
            Listener("tcp", "10.77.0.1", 8443, 101, "python3", ours=True),
            Listener("tcp", "127.0.0.1", 8081, 99, "hotspot-gateway", ours=True),
            Listener("tcp", "0.0.0.0", 22, 1, "sshd"),
        ],
        upstreams={"1.1.1.1:53": None, "8.8.8.8:53": None},
        snapshot_created=NOW - 3600,
        snapshot_names=9_500_000,
        disk_free=40 << 30,
        now=NOW,
        ntp_synchronized=True,
        service="active",
        console_accounts=2,
    )


def failures(findings: list[Finding]) -> list[Finding]:
    return [f for f in findings if f.status == FAIL]


def test_a_healthy_gateway_has_nothing_to_fix() -> None:
    findings = diagnose(CONFIG, healthy())
    assert failures(findings) == [] and [f for f in findings if f.status == WARN] == []
    assert len(findings) >= 12
    assert start_problems(CONFIG, replace(healthy(), listeners=[])) == []


@pytest.mark.parametrize(
    ("change", "key", "fix"),
    [
        ({"addresses": {"eth0": ["203.0.113.5"], "wlan0": []}}, "network.lan_interface",
         "set network.lan_interface to one of: eth0, wlan0"),
        ({"addresses": {"eth1": ["10.77.0.1"]}}, "network.wan_interface",
         "set network.wan_interface to one of: eth1"),
    ],
)  # fmt: skip
def test_interfaces_that_are_missing(change: dict[str, object], key: str, fix: str) -> None:
    facts = replace(healthy(), **change)  # type: ignore[arg-type]
    [found] = failures(diagnose(CONFIG, facts))
    assert found.key == key and fix in found.fix
    assert [p.key for p in start_problems(CONFIG, replace(facts, listeners=[]))] == [key]


def test_a_lan_port_without_the_address_is_for_run_to_fix_unless_it_runs() -> None:
    bare = {"eth0": ["203.0.113.5"], "eth1": []}
    running = [
        f for f in diagnose(CONFIG, replace(healthy(), addresses=bare)) if "lacks" in f.title
    ]
    assert [f.status for f in running] == [FAIL]
    assert "ip addr add 10.77.0.1/24 dev eth1" in running[0].fix
    stopped = replace(healthy(), addresses=bare, service="inactive", listeners=[])
    assert [f.status for f in diagnose(CONFIG, stopped) if "lacks" in f.title] == [WARN]
    assert start_problems(CONFIG, stopped) == []


def test_a_port_held_by_another_program_names_it_the_key_and_the_usual_fix() -> None:
    resolved = Listener("udp", "0.0.0.0", 53, 412, "systemd-resolve")
    facts = replace(healthy(), listeners=[*(healthy().listeners or []), resolved])
    [found] = failures(diagnose(CONFIG, facts))
    assert found.key == "dns.listen" and "systemd-resolve (pid 412)" in found.title
    assert "DNSStubListener=no" in found.fix
    dnsmasq = Listener("tcp", "10.77.0.1", 53, 7, "dnsmasq")
    [found] = failures(diagnose(CONFIG, replace(healthy(), listeners=[dnsmasq])))
    assert "port=0" in found.fix
    # A listener on another address of the same port is no conflict.
    other = Listener("udp", "127.0.0.53", 53, 412, "systemd-resolve")
    assert start_problems(CONFIG, replace(healthy(), listeners=[other])) == []


def test_run_refuses_to_start_beside_itself_though_doctor_calls_that_fine() -> None:
    facts = healthy()  # our own listeners: a second `run` could not bind them
    assert failures(diagnose(CONFIG, facts)) == []
    problems = start_problems(CONFIG, facts)
    assert {p.key for p in problems} == {
        "dns.listen",
        "portal.listen",
        "proxy.listen_port",
        "admin.listen",
    }


@pytest.mark.parametrize(
    ("change", "status", "words"),
    [
        ({"forwarding": False}, FAIL, "IPv4 forwarding is off"),
        ({"forwarding": False, "service": "inactive", "listeners": []}, WARN,
         "IPv4 forwarding is off"),
        ({"nft": None}, FAIL, "nft is missing"),
        ({"upstreams": {"1.1.1.1:53": "no answer within 2 s", "8.8.8.8:53": None}}, WARN,
         "1.1.1.1:53: no answer"),
        ({"upstreams": {"1.1.1.1:53": "no answer within 2 s"}}, FAIL, "1.1.1.1:53: no answer"),
        ({"snapshot_created": None, "snapshot_names": None}, FAIL, "no blocklist snapshot"),
        ({"snapshot_error": "damaged metadata"}, FAIL, "snapshot unreadable"),
        ({"snapshot_created": NOW - 5 * 86400}, WARN, "120 jam / h old"),
        ({"disk_free": 100 << 20}, FAIL, "disk almost full"),
        ({"disk_free": 1 << 30}, WARN, "low disk"),
        ({"now": 1_600_000_000.0, "snapshot_created": 1_599_999_000.0}, FAIL,
         "the clock is wrong: 2020-09-13"),
        ({"ntp_synchronized": False}, WARN, "clock not synchronised"),
        ({"service": "failed"}, FAIL, "the service is failed"),
        ({"service": None, "listeners": []}, FAIL, "is not running"),
        ({"console_accounts": 0}, WARN, "no console account yet"),
    ],
)  # fmt: skip
def test_each_problem_is_found_with_its_fix(
    change: dict[str, object], status: str, words: str
) -> None:
    findings = diagnose(CONFIG, replace(healthy(), **change))  # type: ignore[arg-type]
    found = [f for f in findings if words in f.title]
    assert [f.status for f in found] == [status], findings
    assert found[0].fix


def test_without_systemd_our_own_listeners_say_it_runs() -> None:
    findings = diagnose(CONFIG, replace(healthy(), service=None))
    assert [f.status for f in findings if "is running" in f.title] == [OK]


def test_ss_output_is_read_with_its_processes() -> None:
    text = (
        "udp UNCONN 0 0 127.0.0.53%lo:53 0.0.0.0:* "
        'users:(("systemd-resolve",pid=412,fd=13))\n'
        'tcp LISTEN 0 4096 [::]:22 [::]:* users:(("sshd",pid=1,fd=4))\n'
        "tcp   LISTEN 0      100    10.77.0.1:8443          0.0.0.0:*\n"
        "garbage line\n"
    )  # fmt: skip
    assert parse_listeners(text) == [
        Listener("udp", "127.0.0.53", 53, 412, "systemd-resolve"),
        Listener("tcp", "::", 22, 1, "sshd"),
        Listener("tcp", "10.77.0.1", 8443, None, "?"),
    ]
