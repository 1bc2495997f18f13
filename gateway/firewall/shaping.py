"""render_shaping: tc commands that share the uplink fairly between phones with cake (pure)."""

from __future__ import annotations

from gateway.firewall.plan import FirewallPlan

QDISC = "cake"


def _shaped_sides(plan: FirewallPlan) -> list[tuple[str, int, list[str]]]:
    """(interface, Mbit/s, cake flow isolation) for each direction that has a speed set."""
    sides = []
    if plan.uplink_mbit > 0:
        # WAN egress sees masqueraded packets; `nat` makes cake look up the phone behind the
        # gateway's address, so fairness is per phone, not per gateway.
        sides.append((plan.wan_interface, plan.uplink_mbit, ["dual-srchost", "nat"]))
    if plan.downlink_mbit > 0:
        # LAN egress: downloads, already addressed to the phone; share by destination.
        sides.append((plan.lan_interface, plan.downlink_mbit, ["dual-dsthost"]))
    return sides


def render_shaping(plan: FirewallPlan) -> list[list[str]]:
    """The tc argv lists putting cake on WAN (uplink) and LAN (downlink) egress; empty if both 0."""
    commands = []
    for dev, mbit, isolation in _shaped_sides(plan):
        # besteffort: phones' DSCP marks are not to be trusted on a public hotspot.
        options = ["bandwidth", f"{mbit}mbit", "besteffort", *isolation]
        commands.append(["tc", "qdisc", "replace", "dev", dev, "root", QDISC, *options])
    return commands


def remove_shaping(plan: FirewallPlan) -> list[list[str]]:
    """The tc argv lists removing our root qdiscs; sides the plan does not shape are left alone."""
    return [["tc", "qdisc", "del", "dev", dev, "root"] for dev, _, _ in _shaped_sides(plan)]
