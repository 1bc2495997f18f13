"""A hotspot in network namespaces: phones, gateway and "internet", with real servers in each.

    client (10.77.0.10-12, fd77::10) ─┐
                                      ├─ bridge hg-lan (gw 10.77.0.1, fd77::1) ── gw ── hg-wan
    neighbour (10.77.0.20) ───────────┘  ports isolated, like an AP                 192.0.2.1
                                                                                         │
                                                              net (192.0.2.2, 192.0.2.53,
                                                                   2001:db8::2) ─────────┘

Names carry a random suffix, so suites running at the same time never meet; everything stays
inside the namespaces (documentation and private ranges only), and close() removes it all.
"""

from __future__ import annotations

import json
import secrets
import select
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from gateway.firewall.plan import FirewallPlan
from gateway.firewall.runner import Firewall

ENDPOINTS = Path(__file__).with_name("endpoints.py")
LAN, WAN = "hg-lan", "hg-wan"  # with a dash: proves the renderer quotes interface names
GW_LAN, GW_WAN, NET = "10.77.0.1", "192.0.2.1", "192.0.2.2"
PHONE, OTHER_PHONE, THIRD_PHONE, NEIGHBOUR = "10.77.0.10", "10.77.0.11", "10.77.0.12", "10.77.0.20"
ANY_DNS = "192.0.2.53"  # a foreign resolver the net side really runs: DNAT must win over it
PHONE6, GW6, NET6 = "fd77::10", "fd77::1", "2001:db8::2"
PORTAL, ADMIN, PROXY, HTTPS = 8000, 8081, 8443, 8444
SETUP_TIMEOUT = 10.0

GW_SERVICES = {
    "tcp": [
        f"{GW_LAN}:53",
        f"{GW_LAN}:{PORTAL}",
        f"{GW_LAN}:{ADMIN}",
        f"{GW_LAN}:{PROXY}",
        f"{GW_LAN}:{HTTPS}",
        f"{GW_WAN}:{ADMIN}",  # an admin port on the uplink side: not for phones either
        f"[{GW6}]:53",
        f"[{GW6}]:{ADMIN}",
    ],
    "udp": [f"{GW_LAN}:53", f"{GW_LAN}:5000"],
}
NET_SERVICES = {
    "tcp": [f"{NET}:{port}" for port in (80, 443, 853, 8080)] + [f"[{NET6}]:8080"],
    "udp": [f"{NET}:443", f"{NET}:853", f"{ANY_DNS}:53", f"[{NET6}]:8080"],
    "bulk": [f"{NET}:9000"],
}
NEIGHBOUR_SERVICES = {"tcp": [f"{NEIGHBOUR}:8080"]}


def hotspot_plan(**changes: object) -> FirewallPlan:
    """The plan for this topology; keyword arguments override fields."""
    fields: dict[str, object] = {
        "lan_interface": LAN,
        "wan_interface": WAN,
        "lan_address": GW_LAN,
        "client_subnet": "10.77.0.0/24",
        "portal_port": PORTAL,
    }
    return FirewallPlan(**{**fields, **changes})  # type: ignore[arg-type]


def _run(argv: list[str], stdin: str | None = None) -> str:
    done = subprocess.run(argv, input=stdin, capture_output=True, text=True, timeout=SETUP_TIMEOUT)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)}: {done.stderr.strip()}")
    return done.stdout


@dataclass
class Topology:
    """The namespaces, the servers running in them, and helpers to act inside them."""

    bin_dir: Path
    suffix: str = field(default_factory=lambda: secrets.token_hex(4))
    servers: list[subprocess.Popen[str]] = field(default_factory=list)
    created: list[str] = field(default_factory=list)

    def ns(self, role: str) -> str:
        """The namespace name of a role: client, neighbour, gw or net."""
        return f"hgfw-{role}-{self.suffix}"

    def build(self) -> None:
        """Create namespaces, links, addresses and routes, then start the servers."""
        for role in ("client", "neighbour", "gw", "net"):
            _run(["ip", "netns", "add", self.ns(role)])
            self.created.append(self.ns(role))
        client, neighbour, net = self.ns("client"), self.ns("neighbour"), self.ns("net")
        self.ip_batch(
            "gw",
            [
                "link set lo up",
                f"link add {LAN} type bridge",
                f"link add hg-p1 type veth peer name eth0 netns {client}",
                f"link add hg-p2 type veth peer name eth0 netns {neighbour}",
                f"link add {WAN} type veth peer name eth0 netns {net}",
                f"link set hg-p1 master {LAN}",
                f"link set hg-p2 master {LAN}",
                f"addr add {GW_LAN}/24 dev {LAN}",
                f"addr add {GW6}/64 dev {LAN} nodad",
                f"addr add {GW_WAN}/24 dev {WAN}",
                f"addr add 2001:db8::1/64 dev {WAN} nodad",
                *(f"link set {dev} up" for dev in (LAN, "hg-p1", "hg-p2", WAN)),
            ],
        )
        # Isolated bridge ports: phones cannot talk to each other directly (AP isolation), so
        # the only way from one to another is routed through the gateway's firewall.
        for port in ("hg-p1", "hg-p2"):
            _run(["bridge", "-n", self.ns("gw"), "link", "set", "dev", port, "isolated", "on"])
        self.sysctl(
            "gw",
            "net.ipv4.ip_forward=1",
            "net.ipv6.conf.all.forwarding=1",
            "net.ipv4.conf.all.send_redirects=0",
            f"net.ipv4.conf.{LAN}.send_redirects=0",
        )
        self.ip_batch(
            "client",
            [
                "link set lo up",
                *(f"addr add {ip}/24 dev eth0" for ip in (PHONE, OTHER_PHONE, THIRD_PHONE)),
                f"addr add {PHONE6}/64 dev eth0 nodad",
                "link set eth0 up",
                f"route add default via {GW_LAN}",
                f"route add {NEIGHBOUR}/32 via {GW_LAN}",
                f"route add default via {GW6}",  # ip picks the family from the address
            ],
        )
        self.ip_batch(
            "neighbour",
            [
                "link set lo up",
                f"addr add {NEIGHBOUR}/24 dev eth0",
                "link set eth0 up",
                f"route add default via {GW_LAN}",
            ],
        )
        self.ip_batch(
            "net",
            [
                "link set lo up",
                f"addr add {NET}/24 dev eth0",
                f"addr add {ANY_DNS}/24 dev eth0",
                f"addr add {NET6}/64 dev eth0 nodad",
                "link set eth0 up",
            ],
        )
        self.start_servers()
        self.write_tools()

    def ip_batch(self, role: str, commands: list[str]) -> None:
        """Run `ip` commands inside one namespace in one process."""
        _run(["ip", "-n", self.ns(role), "-batch", "-"], stdin="\n".join(commands) + "\n")

    def sysctl(self, role: str, *settings: str) -> None:
        """Set sysctls inside one namespace."""
        _run(["ip", "netns", "exec", self.ns(role), "sysctl", "-q", "-w", *settings])

    def run(self, role: str, *argv: str) -> str:
        """Run a command inside a namespace; its stdout."""
        return _run(["ip", "netns", "exec", self.ns(role), *argv])

    def start_servers(self) -> None:
        """The gateway's services, the internet's servers and the neighbour phone's server."""
        for role, spec in (
            ("gw", GW_SERVICES),
            ("net", NET_SERVICES),
            ("neighbour", NEIGHBOUR_SERVICES),
        ):
            argv = [
                "ip",
                "netns",
                "exec",
                self.ns(role),
                sys.executable,
                "-I",
                "-S",
                str(ENDPOINTS),
                "serve",
                role,
                json.dumps(spec),
            ]
            self.servers.append(
                subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
            )
        for server in self.servers:
            assert server.stdout is not None
            ready, _, _ = select.select([server.stdout], [], [], SETUP_TIMEOUT)
            line = server.stdout.readline() if ready else ""
            if line.strip() != "ready":
                raise RuntimeError(f"a test server did not start: {server.args!r}")

    def write_tools(self) -> None:
        """nft, conntrack, tc and sysctl wrappers that act inside the gateway's namespace."""
        self.bin_dir.mkdir(parents=True, exist_ok=True)
        for tool in ("nft", "conntrack", "tc", "sysctl"):
            path = self.bin_dir / tool
            path.write_text(f'#!/bin/sh\nexec ip netns exec {self.ns("gw")} {tool} "$@"\n')
            path.chmod(0o755)

    def firewall(self, plan: FirewallPlan | None = None) -> Firewall:
        """A Firewall for the gateway namespace (the default test plan unless given one)."""
        tool = self.bin_dir
        return Firewall(
            plan or hotspot_plan(),
            nft=str(tool / "nft"),
            conntrack=str(tool / "conntrack"),
            tc=str(tool / "tc"),
            sysctl=str(tool / "sysctl"),
        )

    def probe(self, *probes: tuple[str, str, str, int], role: str = "client") -> list[str]:
        """Run probes (kind, source, destination, port) from a phone's namespace; the results."""
        argv = [sys.executable, "-I", "-S", str(ENDPOINTS), "probe", json.dumps(probes)]
        results: list[str] = json.loads(self.run(role, *argv))
        return results

    def close(self) -> None:
        """Stop the servers and delete the namespaces (with everything in them)."""
        for server in self.servers:
            if server.stdin is not None:
                server.stdin.close()
            server.kill()
        for server in self.servers:
            server.wait(timeout=SETUP_TIMEOUT)
            if server.stdout is not None:
                server.stdout.close()
        for name in reversed(self.created):
            subprocess.run(["ip", "netns", "del", name], capture_output=True, check=False)
