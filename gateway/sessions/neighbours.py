"""Adapters to the LAN: a phone's MAC from the kernel's neighbour table, and an ARP probe."""

from __future__ import annotations

import ipaddress
import json
import logging
import warnings
from pathlib import Path

from gateway.sessions.macs import normalise_mac

log = logging.getLogger(__name__)

PROC_ARP = Path("/proc/net/arp")
# States in which the kernel holds a MAC it got from the phone itself (or staff set by hand);
# INCOMPLETE and FAILED have none, NOARP belongs to interfaces without ARP.
USABLE_STATES = frozenset({"REACHABLE", "STALE", "DELAY", "PROBE", "PERMANENT"})
_ATF_COM = 0x02  # /proc/net/arp: entry complete (the table's only "has a MAC" flag)


def _ipv4(ip: str) -> str:
    """The address in canonical form; also keeps junk (an option, say) away from `ip`."""
    return str(ipaddress.IPv4Address(ip.strip()))


def mac_from_neigh_json(text: str, ip: str) -> str | None:
    """The MAC of `ip` in `ip -j neigh show` output, from a usable entry only."""
    for entry in json.loads(text or "[]"):
        states = set(entry.get("state", ()))
        lladdr = entry.get("lladdr")
        if entry.get("dst") == ip and lladdr and states & USABLE_STATES:
            return normalise_mac(lladdr)
    return None


def mac_from_proc_arp(text: str, ip: str, iface: str | None = None) -> str | None:
    """The MAC of `ip` in /proc/net/arp, complete entries only."""
    for line in text.splitlines()[1:]:
        fields = line.split()
        if len(fields) < 6 or fields[0] != ip or (iface is not None and fields[5] != iface):
            continue
        if int(fields[2], 16) & _ATF_COM and fields[3] != "00:00:00:00:00:00":
            return normalise_mac(fields[3])
    return None


def mac_of(ip: str, iface: str | None = None) -> str | None:
    """The phone's MAC from the kernel's neighbour table (on `iface` if given), or None.

    Read from /proc/net/arp, not by running `ip`: every Connect asks, and a hundred phones
    pressing at once must not mean a hundred processes. None also when the table cannot be
    read (logged): a MAC only lets a phone keep its session across a new DHCP address, so
    admission goes on without one. ValueError if `ip` is no IPv4 address.
    """
    address = _ipv4(ip)
    try:
        table = PROC_ARP.read_text(encoding="ascii")
    except OSError as exc:
        log.warning("cannot read %s: %s", PROC_ARP, exc)
        return None
    return mac_from_proc_arp(table, address, iface)


def _quiet_scapy() -> None:
    """Scapy logs and warns about routes and interfaces at import; none of it is ours to show."""
    for name in ("scapy", "scapy.runtime", "scapy.loading", "scapy.interactive"):
        logging.getLogger(name).setLevel(logging.ERROR)


def answers_arp(ip: str, iface: str, timeout: float = 1.0, mac: str | None = None) -> bool:
    """True if `ip` answers an ARP who-has on `iface` within `timeout` seconds (needs root).

    With the phone's `mac`, the request goes to it alone (as the kernel's own probes do) rather
    than to every phone on the access point: broadcasts on Wi-Fi are slow and wake sleeping phones.
    """
    address = _ipv4(ip)
    _quiet_scapy()
    # Imported here: importing scapy takes time, and only the sweep needs it.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from scapy.layers.l2 import ARP, Ether
        from scapy.sendrecv import srp1

        destination = "ff:ff:ff:ff:ff:ff" if mac is None else normalise_mac(mac)
        request = Ether(dst=destination) / ARP(op=1, pdst=address)
        reply = srp1(request, iface=iface, timeout=timeout, verbose=False)
    return reply is not None and ARP in reply and reply[ARP].op == 2 and reply[ARP].psrc == address
