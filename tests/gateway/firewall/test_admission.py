"""Real packets through real nftables in namespaces: who gets where, before and after admit."""

from __future__ import annotations

import subprocess
import sys

import pytest

from gateway.firewall.ruleset import PROXY_CONNECTIONS_PER_PHONE, AdmittedClient
from tests.gateway.firewall.netns import (
    ADMIN,
    ANY_DNS,
    GW6,
    GW_LAN,
    GW_WAN,
    HTTPS,
    NEIGHBOUR,
    NET,
    NET6,
    OTHER_PHONE,
    PHONE,
    PHONE6,
    PORTAL,
    PROXY,
    Topology,
    hotspot_plan,
)

pytestmark = pytest.mark.timeout(30)

ON_THE_INTERNET = f"ok net 8080 {GW_WAN}"  # the net side sees the gateway's address: masquerade


def test_a_phone_not_admitted_reaches_only_dns_and_the_portal(hotspot: Topology) -> None:
    hotspot.firewall().start([])
    assert hotspot.probe(
        ("tcp", PHONE, NET, 8080),
        ("tcp", PHONE, NET, 443),
        ("udp", PHONE, NET, 443),
        ("tcp", PHONE, NET, 80),
        ("udp", PHONE, ANY_DNS, 53),
        ("tcp", PHONE, ANY_DNS, 53),
    ) == [
        "refused",  # a reset from the gateway, at once: the net side does listen on 8080
        "refused",
        "unreachable",  # ICMP admin-prohibited, not a silent drop
        f"ok gw {PORTAL} {PHONE}",  # every web server is the portal
        f"ok gw 53 {PHONE}",  # whatever resolver it asks, ours answers (net runs one there)
        f"ok gw 53 {PHONE}",
    ]


def test_admit_lets_one_phone_out_and_release_shuts_it_again(hotspot: Topology) -> None:
    firewall = hotspot.firewall()
    firewall.start([])
    firewall.admit(PHONE, 60)
    assert hotspot.probe(
        ("tcp", PHONE, NET, 8080),
        ("tcp", PHONE, NET, 80),
        ("udp", PHONE, ANY_DNS, 53),
        ("tcp", OTHER_PHONE, NET, 8080),
    ) == [
        ON_THE_INTERNET,
        f"ok net 80 {GW_WAN}",  # no proxy in this plan: straight out
        f"ok gw 53 {PHONE}",  # admitted or not, DNS stays with our resolver
        "refused",  # admission is per phone
    ]
    firewall.release(PHONE)
    assert hotspot.probe(("tcp", PHONE, NET, 8080), ("tcp", PHONE, NET, 80)) == [
        "refused",
        f"ok gw {PORTAL} {PHONE}",
    ]
    firewall.release(PHONE)  # not in the set any more: no error


def test_admitted_phones_get_no_quic_dot_or_doq(hotspot: Topology) -> None:
    firewall = hotspot.firewall()
    firewall.start([])
    firewall.admit(PHONE, 60)
    assert hotspot.probe(
        ("udp", PHONE, NET, 443), ("tcp", PHONE, NET, 853), ("udp", PHONE, NET, 853)
    ) == ["unreachable", "refused", "unreachable"]  # the net side listens on all three


def test_the_gateway_offers_the_lan_only_its_hotspot_services(hotspot: Topology) -> None:
    firewall = hotspot.firewall()
    firewall.start([])
    firewall.admit(PHONE, 60)
    for phone in (PHONE, OTHER_PHONE):  # admitted or not, the same services
        assert hotspot.probe(
            ("udp", phone, GW_LAN, 53),
            ("tcp", phone, GW_LAN, PORTAL),
            ("tcp", phone, GW_LAN, 80),
            ("ping", phone, GW_LAN, 0),
            ("tcp", phone, GW_LAN, ADMIN),
            ("udp", phone, GW_LAN, 5000),
            ("tcp", phone, GW_LAN, PROXY),
            ("tcp", phone, GW_LAN, HTTPS),
            ("tcp", phone, GW_WAN, ADMIN),
        ) == [
            f"ok gw 53 {phone}",
            f"ok gw {PORTAL} {phone}",
            f"ok gw {PORTAL} {phone}",  # the portal's own address on port 80
            "ok echo",
            "refused",  # admin console: listening, but not for the hotspot side
            "unreachable",
            "refused",  # no proxy in this plan
            "refused",  # no certificate in this plan
            "refused",  # the gateway's other addresses are no way in
        ]


def test_https_port_opens_with_a_certificate(hotspot: Topology) -> None:
    hotspot.firewall(hotspot_plan(https_port=HTTPS)).start([])
    assert hotspot.probe(("tcp", PHONE, GW_LAN, HTTPS)) == [f"ok gw {HTTPS} {PHONE}"]


def test_admitted_web_traffic_goes_through_the_proxy(hotspot: Topology) -> None:
    firewall = hotspot.firewall(hotspot_plan(proxy_port=PROXY))
    firewall.start([])
    assert hotspot.probe(
        ("tcp", PHONE, NET, 443), ("tcp", PHONE, GW_LAN, PROXY), ("tcp", PHONE, NET, 80)
    ) == ["refused", "refused", f"ok gw {PORTAL} {PHONE}"]  # no way around the portal
    firewall.admit(PHONE, 60)
    assert hotspot.probe(
        ("tcp", PHONE, NET, 80),
        ("tcp", PHONE, NET, 443),
        ("tcp", PHONE, NET, 8080),
        ("tcp", PHONE, GW_LAN, 80),
    ) == [
        f"ok gw {PROXY} {PHONE}",
        f"ok gw {PROXY} {PHONE}",
        ON_THE_INTERNET,  # other ports are not the proxy's business
        f"ok gw {PORTAL} {PHONE}",  # the portal itself is not proxied
    ]


def test_phones_cannot_reach_each_other(hotspot: Topology) -> None:
    firewall = hotspot.firewall()
    firewall.start([])
    firewall.admit(PHONE, 60)
    firewall.admit(NEIGHBOUR, 60)
    assert hotspot.probe(("tcp", PHONE, NEIGHBOUR, 8080)) == ["refused"]
    assert hotspot.probe(("tcp", NEIGHBOUR, NET, 8080), role="neighbour") == [ON_THE_INTERNET]


def test_ipv6_is_no_way_around(hotspot: Topology) -> None:
    firewall = hotspot.firewall()
    firewall.start([])
    firewall.admit(PHONE, 60)  # the phone's IPv4 address is admitted, which says nothing for v6
    assert hotspot.probe(
        ("tcp", PHONE6, NET6, 8080),
        ("udp", PHONE6, NET6, 8080),
        ("tcp", PHONE6, GW6, ADMIN),
        ("tcp", PHONE6, GW6, 53),
    ) == ["refused", "unreachable", "refused", "refused"]


HOLD_OPEN = """
import socket, sys
held, refused = [], 0
for _ in range(int(sys.argv[3])):
    try:
        held.append(socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=5))
    except ConnectionRefusedError:
        refused += 1
print(len(held), refused)
"""
KEEP_ACCEPTING = """
import socket, sys
server = socket.create_server((sys.argv[1], int(sys.argv[2])), backlog=1024)
print("ready", flush=True)
held = []
while True:
    held.append(server.accept()[0])  # kept open: the phone's connections stay counted
"""
HOLDING_PROXY = 9443  # a stand-in proxy that keeps every connection open


def test_one_phone_cannot_hold_more_than_its_share_of_proxy_connections(
    hotspot: Topology,
) -> None:
    firewall = hotspot.firewall(hotspot_plan(proxy_port=HOLDING_PROXY))
    firewall.start([AdmittedClient(PHONE, 600)])
    server = subprocess.Popen(
        ["ip", "netns", "exec", hotspot.ns("gw"), sys.executable, "-c", KEEP_ACCEPTING, GW_LAN,
         str(HOLDING_PROXY)], stdout=subprocess.PIPE,
    )  # fmt: skip
    try:
        assert server.stdout is not None and server.stdout.readline() == b"ready\n"
        over = PROXY_CONNECTIONS_PER_PHONE + 20
        held, refused = hotspot.run(
            "client", sys.executable, "-c", HOLD_OPEN, NET, "443", str(over)
        ).split()
    finally:
        server.kill()
        server.wait(timeout=10)
        if server.stdout is not None:
            server.stdout.close()
    # The first ones reach the proxy, the rest are refused at once (a reset, not a wait).
    assert (int(held), int(refused)) == (PROXY_CONNECTIONS_PER_PHONE, 20)
