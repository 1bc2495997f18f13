"""The gateway's own address on the hotspot LAN, put on the LAN port by `run` if it is missing.

On a fresh mini-PC the hotspot-side port has no address (the uplink gets one by DHCP), and
asking installers to edit ifupdown or netplan files on a rooftop is where hotspots go wrong.
So `run` brings the port up and adds `network.lan_address` with the subnet's prefix, before
anything binds to it. An address already there is left alone: running twice changes nothing.
"""

from __future__ import annotations

import ipaddress
import json
import subprocess

from gateway.config import NetworkConfig

TIMEOUT = 10.0


class LanAddressError(Exception):
    """The LAN port could not be given its address; the message says why."""


def _ip(*args: str) -> str:
    done = subprocess.run(["ip", *args], capture_output=True, text=True, timeout=TIMEOUT)
    if done.returncode != 0:
        raise LanAddressError(f"ip {' '.join(args)}: {done.stderr.strip()}")
    return done.stdout


def ensure_lan_address(network: NetworkConfig) -> bool:
    """Bring the LAN port up with `lan_address`; True if the address had to be added."""
    port = network.lan_interface
    prefix = ipaddress.ip_network(network.client_subnet).prefixlen
    _ip("link", "set", "dev", port, "up")
    links = json.loads(_ip("-j", "addr", "show", "dev", port) or "[]")
    present = {a.get("local") for link in links for a in link.get("addr_info", [])}
    if network.lan_address in present:
        return False
    _ip("addr", "add", f"{network.lan_address}/{prefix}", "dev", port)
    return True
