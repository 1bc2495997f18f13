"""The portal's slice of the configuration, as one frozen value."""

from __future__ import annotations

from dataclasses import dataclass

from gateway.config import GatewayConfig


@dataclass(frozen=True)
class PortalSettings:
    """What the portal pages and the RFC 8908 API need to know about this hotspot."""

    hotspot_name: str = "WiFi Publik"
    host_name: str = "portal.hotspot.internal"
    lan_address: str = "10.77.0.1"
    language: str = "id"
    https: bool = False  # true only with a certificate: the RFC 8908 API needs TLS
    https_port: int = 443
    venue_info_url: str = ""
    report_contact: str = ""
    capacity: int = 100

    @property
    def portal_hosts(self) -> frozenset[str]:
        """The Host header values (without port) that mean the portal itself."""
        return frozenset({self.host_name.lower(), self.lan_address})

    @property
    def user_portal_url(self) -> str:
        """The https address of the portal, for RFC 8908 (which allows no http URL)."""
        port = "" if self.https_port == 443 else f":{self.https_port}"
        return f"https://{self.host_name}{port}/"


def settings_from_config(config: GatewayConfig) -> PortalSettings:
    """Build the portal settings from the validated gateway configuration."""
    portal = config.portal
    return PortalSettings(
        hotspot_name=portal.hotspot_name,
        host_name=portal.host_name,
        lan_address=config.network.lan_address,
        language=portal.language,
        # config validation guarantees tls_cert and tls_key come together
        https=portal.tls_cert is not None,
        https_port=portal.https_port,
        venue_info_url=portal.venue_info_url,
        report_contact=portal.report_contact,
        capacity=portal.max_clients,
    )
