"""render_shaping as text: cake per direction, only where a speed is configured."""

from __future__ import annotations

from gateway.firewall.plan import FirewallPlan
from gateway.firewall.shaping import remove_shaping, render_shaping


def plan(uplink: int, downlink: int) -> FirewallPlan:
    return FirewallPlan(
        lan_interface="br-lan",
        wan_interface="eth0",
        lan_address="10.77.0.1",
        client_subnet="10.77.0.0/24",
        portal_port=80,
        uplink_mbit=uplink,
        downlink_mbit=downlink,
    )


def test_no_speeds_no_shaping() -> None:
    assert render_shaping(plan(0, 0)) == []
    assert remove_shaping(plan(0, 0)) == []


def test_cake_on_both_sides() -> None:
    assert [" ".join(argv) for argv in render_shaping(plan(20, 100))] == [
        "tc qdisc replace dev eth0 root cake bandwidth 20mbit besteffort dual-srchost nat",
        "tc qdisc replace dev br-lan root cake bandwidth 100mbit besteffort dual-dsthost",
    ]
    assert remove_shaping(plan(20, 100)) == [
        ["tc", "qdisc", "del", "dev", "eth0", "root"],
        ["tc", "qdisc", "del", "dev", "br-lan", "root"],
    ]


def test_one_side_only() -> None:
    (uplink,) = render_shaping(plan(10, 0))
    assert uplink[:7] == ["tc", "qdisc", "replace", "dev", "eth0", "root", "cake"]
    assert uplink[7:] == ["bandwidth", "10mbit", "besteffort", "dual-srchost", "nat"]
    (downlink,) = render_shaping(plan(0, 50))
    assert downlink[4] == "br-lan" and "dual-dsthost" in downlink and "nat" not in downlink
    assert remove_shaping(plan(0, 50)) == [["tc", "qdisc", "del", "dev", "br-lan", "root"]]
