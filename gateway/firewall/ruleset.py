"""render_ruleset: the plan and the admitted phones as one nftables transaction (pure)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import netaddr

from gateway.firewall.plan import FirewallPlan, ipv4_address

TABLE = "inet hotspot_gateway"
ADMITTED_SET = "admitted"
PROXY_CLIENTS_SET = "proxy_clients"
PROXY_CONNECTIONS_PER_PHONE = 256  # a browser holds a few dozen; an app gone wrong, thousands
# One bit of the packet mark says "sent by an admitted phone". The set is looked up exactly once
# per packet from the LAN (in mark_admitted) because every lookup bumps the element's counter:
# deciding DNAT, input and forward on the mark keeps the byte counts true. Only this bit is
# touched, so marks set by anything else on the box survive.
ADMITTED_MARK = 0x00100000
_ADMITTED = f"meta mark & {ADMITTED_MARK:#010x} == {ADMITTED_MARK:#010x}"
_NOT_ADMITTED = f"meta mark & {ADMITTED_MARK:#010x} != {ADMITTED_MARK:#010x}"
QUIC_PORT = 443
DOT_PORT = 853  # DNS over TLS (TCP) and DNS over QUIC (UDP)
DHCP_SERVER_PORT = 67


@dataclass(frozen=True)
class AdmittedClient:
    """A phone let through, and how many seconds its admission has left."""

    ip: str
    timeout_seconds: float


def nft_timeout(seconds: float) -> str:
    """An nft timeout in whole seconds, rounded up so a phone never loses time it was given."""
    if not math.isfinite(seconds):
        raise ValueError(f"not a timeout in seconds: {seconds!r}")
    return f"{max(1, math.ceil(seconds))}s"


def _quoted(name: str) -> str:
    return f'"{name}"'  # interface names are checked by FirewallPlan: no quotes inside


def _elements(admitted: Sequence[AdmittedClient]) -> list[str]:
    longest: dict[str, float] = {}
    for client in admitted:
        ip = ipv4_address(client.ip)
        if client.timeout_seconds <= 0:
            continue  # no time left: not admitted, and nft refuses a zero timeout
        longest[ip] = max(longest.get(ip, 0.0), client.timeout_seconds)
    # Sorted so the same state renders the same text (diffable, testable).
    ordered = sorted(longest, key=lambda ip: netaddr.IPAddress(ip))
    return [f"{ip} timeout {nft_timeout(longest[ip])}" for ip in ordered]


def _set(admitted: Sequence[AdmittedClient]) -> list[str]:
    lines = [
        f"set {ADMITTED_SET} {{",
        "type ipv4_addr",
        "flags timeout",
        "counter",  # per-phone bytes, read by byte_counts() for idle detection
    ]
    elements = _elements(admitted)
    if elements:
        lines.append(f"elements = {{ {', '.join(elements)} }}")
    return [*lines, "}"]


def _proxy_clients_set() -> list[str]:
    # Filled by the connection-count rule in lan_input; entries go with their connections.
    return [f"set {PROXY_CLIENTS_SET} {{", "type ipv4_addr", "size 65535", "flags dynamic", "}"]


def _chain(name: str, hook: str | None, rules: list[str]) -> list[str]:
    head = [f"chain {name} {{"]
    if hook is not None:
        # Policy accept: each hooked chain only sends LAN traffic on to rules that end in an
        # explicit reject; what other interfaces carry is not ours to judge.
        head.append(f"{hook}; policy accept;")
    return [*head, *rules, "}"]


def _mark_admitted(plan: FirewallPlan, closed: bool) -> list[str]:
    lan = _quoted(plan.lan_interface)
    # Closed: nobody gets the mark, so every rule below treats every phone as not admitted.
    mark = f"meta mark set meta mark | {ADMITTED_MARK:#010x}"
    rules = [] if closed else [f"iifname {lan} ip saddr @{ADMITTED_SET} {mark}"]
    if plan.proxy_port is not None:  # (closed: nobody has the mark, so it never matches)
        # One phone cannot hold all of the proxy's sockets: past this many open connections
        # its new ones are refused (a stuck app, a flood of idle connections). Here, before
        # the redirect, so the reset carries the address the phone was talking to.
        rules.append(
            f"iifname {lan} {_ADMITTED} ip daddr != {plan.lan_address} tcp dport {{ 80, 443 }} "
            f"ct state new add @{PROXY_CLIENTS_SET} "
            f"{{ ip saddr ct count over {PROXY_CONNECTIONS_PER_PHONE} }} reject with tcp reset"
        )
    return _chain("mark_admitted", "type filter hook prerouting priority mangle", rules)


def _redirect_clients(plan: FirewallPlan) -> list[str]:
    lan, gw = _quoted(plan.lan_interface), plan.lan_address
    portal = f"dnat ip to {gw}:{plan.portal_port}"
    rules = [
        # Every phone, admitted or not, gets our resolver whatever address it asks.
        f"iifname {lan} meta l4proto {{ tcp, udp }} th dport 53 dnat ip to {gw}:{plan.dns_port}",
        # The portal's own address is the portal for everyone (the "already connected" page).
        f"iifname {lan} ip daddr {gw} tcp dport 80 {portal}",
        # Not admitted: every web server is the portal, so the phone's probe finds the splash.
        f"iifname {lan} {_NOT_ADMITTED} tcp dport 80 {portal}",
    ]
    if plan.proxy_port is not None:
        rules.append(
            f"iifname {lan} {_ADMITTED} ip daddr != {gw} tcp dport {{ 80, 443 }} "
            f"dnat ip to {gw}:{plan.proxy_port}"
        )
    return _chain("redirect_clients", "type nat hook prerouting priority dstnat", rules)


def _refuse() -> list[str]:
    # Never a silent drop: a reset or an ICMP error makes the phone give up at once.
    return _chain(
        "refuse",
        None,
        ["meta l4proto tcp reject with tcp reset", "reject with icmpx type admin-prohibited"],
    )


def _from_clients(plan: FirewallPlan) -> list[str]:
    lan, wan = _quoted(plan.lan_interface), _quoted(plan.wan_interface)
    return _chain(
        "from_clients",
        None,
        [
            f"oifname {lan} goto refuse",  # client isolation: no phone reaches another
            # IPv6 never carries the mark (the set is IPv4), so it is refused here too.
            f"{_NOT_ADMITTED} goto refuse",
            f"oifname != {wan} goto refuse",  # admitted phones reach the uplink, nothing else
            # No QUIC, DoT or DoQ: browsers fall back to TCP, whose SNI the proxy can see,
            # and DNS stays with our resolver.
            f"udp dport {QUIC_PORT} goto refuse",
            f"meta l4proto {{ tcp, udp }} th dport {DOT_PORT} goto refuse",
            "accept",
        ],
    )


def _forward(plan: FirewallPlan, closed: bool) -> list[str]:
    lan = _quoted(plan.lan_interface)
    rules = [f"iifname {lan} goto from_clients"]
    if not closed:
        # Replies to what an admitted phone opened. Its own packets are checked one by one in
        # from_clients, so a released phone is cut off even on an established connection.
        rules.append(f"oifname {lan} ct state established,related accept")
    rules.append(f"oifname {lan} goto refuse")  # nothing from outside opens a way in
    return _chain("forward_filter", "type filter hook forward priority filter", rules)


def _lan_input(plan: FirewallPlan) -> list[str]:
    gw = plan.lan_address
    rules = [
        "ct state established,related accept",
        f"meta nfproto ipv4 udp dport {DHCP_SERVER_PORT} accept",  # from 0.0.0.0 to broadcast
        f"ip daddr {gw} meta l4proto {{ tcp, udp }} th dport {plan.dns_port} accept",
        f"ip daddr {gw} tcp dport {plan.portal_port} accept",
    ]
    if plan.https_port is not None:
        rules.append(f"ip daddr {gw} tcp dport {plan.https_port} accept")
    if plan.proxy_port is not None:
        # Only redirected traffic of admitted phones: the proxy is no way around the portal.
        rules.append(f"{_ADMITTED} ip daddr {gw} tcp dport {plan.proxy_port} accept")
    rules += [
        "icmp type echo-request accept",
        "icmpv6 type { echo-request, nd-router-solicit, nd-neighbor-solicit, "
        "nd-neighbor-advert } accept",
        "goto refuse",  # admin console, metrics, ssh: not from the hotspot side
    ]
    return _chain("lan_input", None, rules)


def _input(plan: FirewallPlan) -> list[str]:
    rules = [f"iifname {_quoted(plan.lan_interface)} goto lan_input"]
    return _chain("input_filter", "type filter hook input priority filter", rules)


def _count_downloads(plan: FirewallPlan) -> list[str]:
    # A bare lookup: it decides nothing, it only adds what reaches the phone to its counter.
    rule = f"oifname {_quoted(plan.lan_interface)} ip daddr @{ADMITTED_SET}"
    return _chain("count_downloads", "type filter hook postrouting priority filter", [rule])


def _masquerade(plan: FirewallPlan) -> list[str]:
    subnet = netaddr.IPNetwork(plan.client_subnet).cidr
    rule = f"oifname {_quoted(plan.wan_interface)} ip saddr {subnet} masquerade"
    return _chain("masquerade_clients", "type nat hook postrouting priority srcnat", [rule])


def _indented(lines: list[str]) -> list[str]:
    out, depth = [], 0
    for line in lines:
        depth -= line == "}"
        out.append("\t" * depth + line if line else "")
        depth += line.endswith("{")
    return out


def render_ruleset(
    plan: FirewallPlan, admitted: Sequence[AdmittedClient], closed: bool = False
) -> str:
    """The whole table as one `nft -f` transaction; closed (or plan.closed) lets nobody out."""
    closed = closed or plan.closed
    blocks = [
        _set(admitted),
        _proxy_clients_set(),
        _mark_admitted(plan, closed),
        _redirect_clients(plan),
        _refuse(),
        _from_clients(plan),
        _forward(plan, closed),
        _lan_input(plan),
        _input(plan),
        _count_downloads(plan),
        _masquerade(plan),
    ]
    body = [line for block in blocks for line in ("", *block)][1:]
    # Create-if-missing, delete, recreate: one atomic swap that also works on the first start,
    # and touches no other table on the box.
    lines = [f"table {TABLE} {{}}", f"delete table {TABLE}", f"table {TABLE} {{", *body, "}"]
    return "\n".join(_indented(lines)) + "\n"
