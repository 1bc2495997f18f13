"""The Firewall adapter over time: start, timeouts, counters, conntrack, stop, shaping, errors."""

from __future__ import annotations

import time

import pytest

from gateway.firewall.ruleset import AdmittedClient
from gateway.firewall.runner import Firewall, FirewallError, one_line
from tests.gateway.firewall.endpoints import BULK_BYTES
from tests.gateway.firewall.netns import (
    ANY_DNS,
    GW_LAN,
    GW_WAN,
    NEIGHBOUR,
    NET,
    OTHER_PHONE,
    PHONE,
    PORTAL,
    PROXY,
    THIRD_PHONE,
    Topology,
    hotspot_plan,
)

pytestmark = pytest.mark.timeout(30)

ON_THE_INTERNET = f"ok net 8080 {GW_WAN}"


def test_start_restores_admitted_phones_and_turns_on_forwarding(hotspot: Topology) -> None:
    hotspot.sysctl("gw", "net.ipv4.ip_forward=0")
    hotspot.firewall().start([AdmittedClient(PHONE, 60), AdmittedClient(THIRD_PHONE, 60)])
    assert hotspot.run("gw", "cat", "/proc/sys/net/ipv4/ip_forward").strip() == "1"
    assert hotspot.probe(
        ("tcp", PHONE, NET, 8080), ("tcp", OTHER_PHONE, NET, 8080), ("tcp", THIRD_PHONE, NET, 8080)
    ) == [ON_THE_INTERNET, "refused", ON_THE_INTERNET]


def test_start_again_and_remove_touch_only_our_table(hotspot: Topology) -> None:
    hotspot.run("gw", "nft", "add table inet someone_else; add chain inet someone_else input")
    firewall = hotspot.firewall()
    firewall.start([AdmittedClient(PHONE, 60)])
    firewall.start([AdmittedClient(OTHER_PHONE, 60)])  # replaces the whole table, admitted set too
    assert hotspot.probe(("tcp", PHONE, NET, 8080), ("tcp", OTHER_PHONE, NET, 8080)) == [
        "refused",
        ON_THE_INTERNET,
    ]
    firewall.remove()
    firewall.remove()  # already gone: no error
    tables = hotspot.run("gw", "nft", "list", "tables")
    assert "someone_else" in tables and "hotspot_gateway" not in tables


def test_stop_fails_closed_but_keeps_dns_and_portal(hotspot: Topology) -> None:
    firewall = hotspot.firewall()
    firewall.start([])
    firewall.admit(PHONE, 3600)
    assert hotspot.probe(("tcp", PHONE, NET, 8080)) == [ON_THE_INTERNET]
    firewall.stop()
    assert hotspot.probe(
        ("tcp", PHONE, NET, 8080), ("tcp", PHONE, NET, 80), ("udp", PHONE, ANY_DNS, 53)
    ) == ["refused", f"ok gw {PORTAL} {PHONE}", f"ok gw 53 {PHONE}"]
    firewall.admit(PHONE, 3600)  # even an admit that comes too late lets nobody out
    assert hotspot.probe(("tcp", PHONE, NET, 8080)) == ["refused"]


def test_admission_ends_when_its_timeout_runs_out(hotspot: Topology) -> None:
    firewall = hotspot.firewall()
    firewall.start([])
    firewall.admit(PHONE, 1)
    firewall.admit(OTHER_PHONE, 60)
    assert hotspot.probe(("tcp", PHONE, NET, 8080)) == [ON_THE_INTERNET]
    deadline = time.monotonic() + 5
    while PHONE in firewall.byte_counts() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert set(firewall.byte_counts()) == {OTHER_PHONE}
    assert hotspot.probe(("tcp", PHONE, NET, 8080), ("tcp", OTHER_PHONE, NET, 8080)) == [
        "refused",
        ON_THE_INTERNET,
    ]


def test_admit_again_sets_the_new_timeout(hotspot: Topology) -> None:
    firewall = hotspot.firewall()
    firewall.start([])
    firewall.admit(PHONE, 3600)
    firewall.admit(PHONE, 1)  # a plain `add element` would keep the hour
    time.sleep(1.5)
    assert PHONE not in firewall.byte_counts()


def test_byte_counts_follow_each_phones_traffic(hotspot: Topology) -> None:
    firewall = hotspot.firewall()
    firewall.start([])
    firewall.admit(PHONE, 60)
    firewall.admit(NEIGHBOUR, 60)
    assert firewall.byte_counts() == {PHONE: 0, NEIGHBOUR: 0}
    assert hotspot.probe(("bulk", PHONE, NET, 9000)) == [f"ok {BULK_BYTES}"]
    counts = firewall.byte_counts()
    # Both directions, headers included, counted once: well under twice the download.
    assert BULK_BYTES < counts[PHONE] < 1.25 * BULK_BYTES
    assert counts[NEIGHBOUR] == 0
    hotspot.probe(("udp", PHONE, ANY_DNS, 53), ("tcp", PHONE, NET, 80))
    assert firewall.byte_counts()[PHONE] > counts[PHONE]  # traffic to the gateway counts too


def conntrack_sources(hotspot: Topology) -> set[str]:
    entries = hotspot.run("gw", "conntrack", "-L")
    return {word[4:] for word in entries.split() if word.startswith("src=")}


def test_forget_connections_drops_only_that_phones_entries(hotspot: Topology) -> None:
    firewall = hotspot.firewall()
    firewall.start([])
    for phone in (PHONE, OTHER_PHONE):
        hotspot.probe(("tcp", phone, NET, 80), ("udp", phone, ANY_DNS, 53))
    assert {PHONE, OTHER_PHONE} <= conntrack_sources(hotspot)
    firewall.forget_connections(PHONE)
    remaining = conntrack_sources(hotspot)
    assert PHONE not in remaining and OTHER_PHONE in remaining
    firewall.forget_connections(PHONE)  # nothing left to delete: conntrack exits 1, no error


def test_shaping_with_cake(hotspot: Topology) -> None:
    firewall = hotspot.firewall(hotspot_plan(uplink_mbit=10, downlink_mbit=20))
    try:
        firewall.apply_shaping()
    except FirewallError as exc:
        # This kernel has no sch_cake: the error must say so plainly, in one line.
        message = str(exc)
        assert "cake" in message and "Specified qdisc kind is unknown" in message
        assert "\n" not in message
    else:
        assert "qdisc cake" in hotspot.run("gw", "tc", "qdisc", "show", "dev", "hg-wan")
        assert "qdisc cake" in hotspot.run("gw", "tc", "qdisc", "show", "dev", "hg-lan")
    firewall.remove_shaping()  # with or without cake in place: no error
    hotspot.firewall().apply_shaping()  # no speeds configured: nothing to do


def test_errors_name_the_command_in_one_line(hotspot: Topology) -> None:
    firewall = hotspot.firewall()
    with pytest.raises(FirewallError, match=r"nft -f - failed: .*Error: No such file") as caught:
        firewall.admit(PHONE, 60)  # before start: there is no table yet
    assert "\n" not in str(caught.value)
    with pytest.raises(FirewallError, match="not an IPv4 address"):
        firewall.admit("10.77.0.10 } ; flush ruleset", 60)
    with pytest.raises(FirewallError, match="not an IPv4 address"):
        firewall.forget_connections("-F")
    with pytest.raises(FirewallError, match="not a timeout"):
        firewall.admit(PHONE, float("inf"))
    with pytest.raises(FirewallError, match="command not found"):
        Firewall(hotspot_plan(), nft="/nonexistent/nft").start([])


def test_one_line_drops_nft_caret_lines() -> None:
    stderr = (
        "Error: No such file or directory\nadd element inet t admitted { 1.2.3.4 }\n"
        "                 ^^^^^^^^^\n"
    )
    assert one_line(stderr) == (
        "Error: No such file or directory | add element inet t admitted { 1.2.3.4 }"
    )
    assert len(one_line("x" * 5000)) == 400
    assert one_line("") == "no error output"


def phone_web_entries(hotspot: Topology) -> list[str]:
    """The phone's TCP 80 entries, as conntrack prints them."""
    lines = hotspot.run("gw", "conntrack", "-L", "-p", "tcp").splitlines()
    return [line for line in lines if f"src={PHONE} " in line and " dport=80 " in line]


@pytest.mark.parametrize("proxy", [None, PROXY], ids=["direct", "through-the-proxy"])
def test_forget_captive_connections_keeps_the_phones_real_ones(
    hotspot: Topology, proxy: int | None
) -> None:
    firewall = hotspot.firewall(hotspot_plan(proxy_port=proxy))
    firewall.start([])
    hotspot.probe(("tcp", PHONE, NET, 80))  # captive: DNAT'd to the portal listener
    firewall.admit(PHONE, 600)
    hotspot.probe(("tcp", PHONE, NET, 80))  # admitted: to the site, or to the proxy
    portal, real = f"src={GW_LAN} dst={PHONE} sport={PORTAL} ", f"sport={proxy or 80} "
    before = phone_web_entries(hotspot)
    assert any(portal in line for line in before), before
    assert any(real in line and portal not in line for line in before), before
    firewall.forget_captive_connections(PHONE)
    after = phone_web_entries(hotspot)
    assert after and all(portal not in line for line in after), after
