from __future__ import annotations

from pathlib import Path

from gateway.config import parse_config
from gateway.portal.settings import PortalSettings, settings_from_config


def test_settings_from_the_default_config() -> None:
    settings = settings_from_config(parse_config({}))
    assert settings == PortalSettings(
        hotspot_name="WiFi Publik",
        host_name="portal.hotspot.internal",
        lan_address="10.77.0.1",
        language="id",
        https=False,
        https_port=443,
        venue_info_url="",
        report_contact="",
        capacity=100,
    )
    assert settings.portal_hosts == {"portal.hotspot.internal", "10.77.0.1"}


def test_https_is_enabled_by_a_certificate(tmp_path: Path) -> None:
    config = parse_config(
        {
            "network": {"lan_address": "10.9.0.1", "client_subnet": "10.9.0.0/24"},
            "portal": {
                "hotspot_name": "WiFi Taman Kota",
                "host_name": "WiFi.Pasuruankota.go.id",
                "tls_cert": "cert.pem",
                "tls_key": "key.pem",
                "https_port": 8443,
                "max_clients": 250,
                "language": "en",
                "venue_info_url": "https://pasuruankota.go.id/wifi",
                "report_contact": "0812-3456-7890",
            },
        },
        base_dir=tmp_path,
    )
    settings = settings_from_config(config)
    assert settings.https is True
    assert settings.host_name == "wifi.pasuruankota.go.id"
    assert settings.lan_address == "10.9.0.1"
    assert settings.capacity == 250
    assert settings.language == "en"
    assert settings.user_portal_url == "https://wifi.pasuruankota.go.id:8443/"
    assert settings.report_contact == "0812-3456-7890"
    assert settings.venue_info_url == "https://pasuruankota.go.id/wifi"
