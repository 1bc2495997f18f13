"""Neighbour table and ARP probe: parsers on recorded output, adapters in network namespaces.

Two namespaces joined by a veth pair stand for the gateway and one phone: every frame stays in
them, and both are deleted after each test, passed or failed.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from gateway.sessions.neighbours import mac_from_neigh_json, mac_from_proc_arp
from tests.conftest import REPO

NEIGH_JSON = json.dumps(
    [
        {"dst": "10.77.0.20", "dev": "eth1", "lladdr": "DA:A1:19:00:00:01", "state": ["STALE"]},
        {"dst": "10.77.0.21", "dev": "eth1", "state": ["FAILED"]},
        {"dst": "10.77.0.22", "dev": "eth1", "lladdr": "3c:22:fb:0a:0b:0c", "state": ["NOARP"]},
        {"dst": "10.77.0.23", "dev": "eth1", "lladdr": "3c:22:fb:0a:0b:0d",
         "state": ["REACHABLE"]},
    ]
)  # fmt: skip
PROC_ARP = """\
IP address       HW type     Flags       HW address            Mask     Device
10.77.0.20       0x1         0x2         da:a1:19:00:00:01     *        eth1
10.77.0.21       0x1         0x0         00:00:00:00:00:00     *        eth1
10.77.0.24       0x1         0x6         3c:22:fb:0a:0b:0e     *        eth1
"""


def test_neigh_json_gives_the_mac_of_usable_entries_only() -> None:
    assert mac_from_neigh_json(NEIGH_JSON, "10.77.0.20") == "da:a1:19:00:00:01"
    assert mac_from_neigh_json(NEIGH_JSON, "10.77.0.23") == "3c:22:fb:0a:0b:0d"
    assert mac_from_neigh_json(NEIGH_JSON, "10.77.0.21") is None  # FAILED: no lladdr
    assert mac_from_neigh_json(NEIGH_JSON, "10.77.0.22") is None  # NOARP
    assert mac_from_neigh_json(NEIGH_JSON, "10.77.0.99") is None
    assert mac_from_neigh_json("", "10.77.0.20") is None


def test_proc_arp_gives_the_mac_of_complete_entries_only() -> None:
    assert mac_from_proc_arp(PROC_ARP, "10.77.0.20") == "da:a1:19:00:00:01"
    assert mac_from_proc_arp(PROC_ARP, "10.77.0.24", "eth1") == "3c:22:fb:0a:0b:0e"
    assert mac_from_proc_arp(PROC_ARP, "10.77.0.24", "eth0") is None
    assert mac_from_proc_arp(PROC_ARP, "10.77.0.21") is None


@dataclass(frozen=True)
class Lan:
    """A gateway namespace and a phone namespace on one link."""

    gateway: str
    phone_ns: str
    iface: str = "hgw0"
    gateway_ip: str = "10.99.0.1"
    phone_ip: str = "10.99.0.2"
    phone_mac: str = "da:a1:19:99:00:02"
    absent_ip: str = "10.99.0.77"

    def python(self, code: str, timeout: float = 30) -> dict[str, object]:
        """Run Python in the gateway namespace (warnings are errors there too); its JSON out."""
        done = subprocess.run(
            ["ip", "netns", "exec", self.gateway, sys.executable, "-W", "error", "-c",
             textwrap.dedent(code)],
            capture_output=True, text=True, timeout=timeout, cwd=REPO, check=False,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        assert done.stderr == ""  # scapy kept quiet
        result: dict[str, object] = json.loads(done.stdout)
        return result


def sh(*argv: str) -> None:
    subprocess.run(argv, check=True, capture_output=True, timeout=30)


@pytest.fixture
def lan() -> Iterator[Lan]:
    if os.geteuid() != 0:
        pytest.skip("network namespaces need root")
    suffix = secrets.token_hex(3)
    lan = Lan(gateway=f"hgw-gw-{suffix}", phone_ns=f"hgw-phone-{suffix}")
    try:
        sh("ip", "netns", "add", lan.gateway)
        sh("ip", "netns", "add", lan.phone_ns)
        sh("ip", "link", "add", lan.iface, "netns", lan.gateway, "type", "veth",
           "peer", "name", "wlan0", "netns", lan.phone_ns)  # fmt: skip
        sh("ip", "-n", lan.phone_ns, "link", "set", "wlan0", "address", lan.phone_mac)
        sh("ip", "-n", lan.gateway, "addr", "add", f"{lan.gateway_ip}/24", "dev", lan.iface)
        sh("ip", "-n", lan.phone_ns, "addr", "add", f"{lan.phone_ip}/24", "dev", "wlan0")
        sh("ip", "-n", lan.gateway, "link", "set", lan.iface, "up")
        sh("ip", "-n", lan.phone_ns, "link", "set", "wlan0", "up")
        yield lan
    finally:
        # Deleting a namespace deletes its end of the veth pair, and with it the other end.
        for namespace in (lan.gateway, lan.phone_ns):
            subprocess.run(["ip", "netns", "del", namespace], capture_output=True, timeout=30,
                           check=False)  # fmt: skip


@pytest.mark.timeout(90)
def test_mac_of_reads_the_kernels_neighbour_table(lan: Lan) -> None:
    result = lan.python(f"""
        import json, socket, subprocess, time
        from gateway.sessions.neighbours import mac_of

        def poke(ip):  # any datagram makes the kernel resolve the address by ARP
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
                sock.sendto(b"x", (ip, 9))

        out = {{"before": mac_of("{lan.phone_ip}")}}
        poke("{lan.phone_ip}")
        poke("{lan.absent_ip}")
        for _ in range(100):  # bounded: 5 s at most
            out["phone"] = mac_of("{lan.phone_ip}")
            if out["phone"]:
                break
            time.sleep(0.05)
        out["on_iface"] = mac_of("{lan.phone_ip}", iface="{lan.iface}")
        out["other_iface"] = mac_of("{lan.phone_ip}", iface="lo")
        out["absent"] = mac_of("{lan.absent_ip}")
        out["absent_state"] = subprocess.run(
            ["ip", "-j", "neigh", "show", "to", "{lan.absent_ip}"],
            capture_output=True, text=True, check=True).stdout
        subprocess.run(["ip", "neigh", "add", "10.99.0.50", "lladdr", "02:AA:BB:CC:DD:EE",
                        "dev", "{lan.iface}", "nud", "permanent"], check=True)
        out["permanent"] = mac_of("10.99.0.50")
        print(json.dumps(out))
    """)
    assert result["before"] is None
    assert result["phone"] == result["on_iface"] == lan.phone_mac
    assert result["other_iface"] is None
    # The unanswered address has an entry, but no MAC: INCOMPLETE (or FAILED) is not usable.
    assert "10.99.0.77" in str(result["absent_state"]) and result["absent"] is None
    assert result["permanent"] == "02:aa:bb:cc:dd:ee"


@pytest.mark.timeout(90)
def test_answers_arp_tells_a_present_phone_from_an_absent_one(lan: Lan) -> None:
    result = lan.python(f"""
        import json, time
        from gateway.sessions.neighbours import answers_arp

        out = {{"present": answers_arp("{lan.phone_ip}", "{lan.iface}", timeout=2.0)}}
        out["unicast"] = answers_arp("{lan.phone_ip}", "{lan.iface}", 2.0, mac="{lan.phone_mac}")
        # Addressed to another MAC, the phone never sees the question.
        out["wrong_mac"] = answers_arp("{lan.phone_ip}", "{lan.iface}", 0.5,
                                       mac="02:00:00:00:00:99")
        started = time.monotonic()
        out["absent"] = answers_arp("{lan.absent_ip}", "{lan.iface}", timeout=0.5)
        out["absent_seconds"] = time.monotonic() - started
        print(json.dumps(out))
    """)
    assert (result["present"], result["unicast"]) == (True, True)
    assert result["wrong_mac"] is False and result["absent"] is False
    assert isinstance(result["absent_seconds"], float) and result["absent_seconds"] < 2.5
