"""FirewallPlan: everything the ruleset and shaping need, taken from the config once."""

from __future__ import annotations

import re
from dataclasses import dataclass

import netaddr

from gateway.config import GatewayConfig

# Linux names are at most 15 bytes; we also keep out quotes, spaces and slashes because the
# name is pasted into nft text (quoted) and tc argv.
_INTERFACE = re.compile(r"[A-Za-z0-9_.@+-]{1,15}")


def ipv4_address(text: str) -> str:
    """The canonical form of a dotted-quad IPv4 address; ValueError for anything else."""
    try:
        # INET_PTON refuses the inet_aton shorthands ("10.1", "0x0a000001") a command must not see.
        return str(netaddr.IPAddress(text, 4, flags=netaddr.INET_PTON))
    except (netaddr.AddrFormatError, ValueError, TypeError):
        raise ValueError(f"not an IPv4 address: {text!r}") from None


def interface_name(text: str) -> str:
    """A network interface name that is safe to put in nft text and tc argv."""
    if not isinstance(text, str) or not _INTERFACE.fullmatch(text):
        raise ValueError(f"not a usable interface name: {text!r}")
    return text


def _port(name: str, value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 65535:
        raise ValueError(f"{name}: not a port number: {value!r}")
    return value


@dataclass(frozen=True)
class FirewallPlan:
    """The gateway's addresses, ports and speeds the firewall is rendered from (validated)."""

    lan_interface: str
    wan_interface: str
    lan_address: str
    client_subnet: str
    portal_port: int
    https_port: int | None = None
    proxy_port: int | None = None
    dns_port: int = 53
    uplink_mbit: int = 0
    downlink_mbit: int = 0
    closed: bool = False

    def __post_init__(self) -> None:
        interface_name(self.lan_interface)
        interface_name(self.wan_interface)
        if self.lan_interface == self.wan_interface:
            raise ValueError(f"LAN and WAN are the same interface: {self.lan_interface!r}")
        ipv4_address(self.lan_address)
        try:
            subnet = netaddr.IPNetwork(self.client_subnet, version=4)
        except (netaddr.AddrFormatError, ValueError, TypeError):
            raise ValueError(f"not an IPv4 network: {self.client_subnet!r}") from None
        if netaddr.IPAddress(self.lan_address) not in subnet:
            raise ValueError(f"{self.lan_address} is outside {self.client_subnet}")
        _port("portal_port", self.portal_port)
        _port("dns_port", self.dns_port)
        if self.https_port is not None:
            _port("https_port", self.https_port)
        if self.proxy_port is not None:
            _port("proxy_port", self.proxy_port)
        for name in ("uplink_mbit", "downlink_mbit"):
            speed = getattr(self, name)
            if isinstance(speed, bool) or not isinstance(speed, int) or speed < 0:
                raise ValueError(f"{name}: not a speed in Mbit/s: {speed!r}")


def plan_from_config(config: GatewayConfig, proxy_port: int | None = None) -> FirewallPlan:
    """The plan for this config; proxy_port is set by run.py only when the proxy runs."""
    _, _, portal_port = config.portal.listen.rpartition(":")
    network = config.network
    return FirewallPlan(
        lan_interface=network.lan_interface,
        wan_interface=network.wan_interface,
        lan_address=network.lan_address,
        client_subnet=network.client_subnet,
        portal_port=int(portal_port),
        # The portal serves https only with a certificate; without one the port stays closed.
        https_port=config.portal.https_port if config.portal.tls_cert is not None else None,
        proxy_port=proxy_port,
        uplink_mbit=config.firewall.uplink_mbit,
        downlink_mbit=config.firewall.downlink_mbit,
    )
