"""The dnsmasq DHCP configuration for the hotspot LAN, written from the gateway's config.

Phones learn three things from DHCP: their address, the gateway as router and DNS server, and
(RFC 8910, option 114) where the RFC 8908 captive-portal API is. The API URL must be https with
a certificate the phone trusts (Android 11+ and iOS 14+ ignore anything else), so option 114 is
written only when the portal has a certificate for its host name; never an http URL.
"""

from __future__ import annotations

import netaddr

from gateway.config import GatewayConfig

LEASE_TIME = "1h"  # short: a hotspot's phones come and go, and the pool must not run dry
CAPTIVE_PORTAL_OPTION = 114


def captive_api_url(config: GatewayConfig) -> str | None:
    """The RFC 8908 API URL to advertise, or None when the portal has no certificate."""
    portal = config.portal
    if not portal.enabled or portal.tls_cert is None:
        return None
    port = "" if portal.https_port == 443 else f":{portal.https_port}"
    return f"https://{portal.host_name}{port}/api/captive"


def render_dnsmasq_conf(config: GatewayConfig) -> str:
    """The dnsmasq lines for DHCP only (DNS is ours: port=0), on the LAN interface."""
    net = config.network
    subnet = netaddr.IPNetwork(net.client_subnet)
    gateway = netaddr.IPAddress(net.lan_address)
    # The pool is the subnet without its first addresses (the gateway, access points, staff).
    first = subnet.network + 10 if subnet.size > 32 else subnet.network + 2
    last = subnet.broadcast - 1 if subnet.broadcast is not None else subnet.last
    lines = [
        "# Written by hotspot-gateway from gateway.toml; edit that file instead.",
        "# DNS is the gateway's own filtering resolver: dnsmasq does DHCP only.",
        "port=0",
        f"interface={net.lan_interface}",
        "bind-dynamic",
        f"dhcp-range={first},{last},{subnet.netmask},{LEASE_TIME}",
        f"dhcp-option=option:router,{gateway}",
        f"dhcp-option=option:dns-server,{gateway}",
        "dhcp-authoritative",
        "dhcp-rapid-commit",
    ]
    url = captive_api_url(config)
    if url is not None:
        lines.append("# RFC 8910: where the RFC 8908 captive-portal API is (https only).")
        lines.append(f"dhcp-option={CAPTIVE_PORTAL_OPTION},{url}")
    return "\n".join(lines) + "\n"
