"""The dnsmasq DHCP config: option 114 only with https, and dnsmasq accepts what we write."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from gateway.config import parse_config
from gateway.dhcp import captive_api_url, render_dnsmasq_conf


def test_no_captive_api_is_advertised_without_a_certificate() -> None:
    config = parse_config({})
    assert captive_api_url(config) is None
    assert "114" not in render_dnsmasq_conf(config)


def test_option_114_is_the_https_api_of_the_portals_host_name(tmp_path: Path) -> None:
    config = parse_config(
        {"portal": {"host_name": "wifi.kota.go.id", "tls_cert": "c.pem", "tls_key": "k.pem"}},
        base_dir=tmp_path,
    )
    conf = render_dnsmasq_conf(config)
    assert "dhcp-option=114,https://wifi.kota.go.id/api/captive" in conf
    assert "http://" not in conf
    assert "dhcp-range=10.77.0.10,10.77.0.254,255.255.255.0,1h" in conf


@pytest.mark.skipif(shutil.which("dnsmasq") is None, reason="dnsmasq is not installed")
def test_dnsmasq_accepts_the_rendered_file(tmp_path: Path) -> None:
    config = parse_config(
        {"portal": {"host_name": "wifi.kota.go.id", "tls_cert": "c.pem", "tls_key": "k.pem"}},
        base_dir=tmp_path,
    )
    conf = tmp_path / "dnsmasq.conf"
    conf.write_text(render_dnsmasq_conf(config))
    checked = subprocess.run(["dnsmasq", "--test", f"--conf-file={conf}"], capture_output=True,
                             text=True, timeout=30)  # fmt: skip
    assert checked.returncode == 0, checked.stderr
