"""`run` puts the gateway's LAN address on a bare LAN port, once, in a namespace of its own."""

from __future__ import annotations

import json
import secrets
import shutil
import subprocess
import sys
from collections.abc import Iterator

import pytest

from gateway.demo.netns import REPO, ip

pytestmark = pytest.mark.skipif(shutil.which("ip") is None, reason="needs iproute2")

ENSURE = (
    "from gateway.config import NetworkConfig; from gateway.lan_address import ensure_lan_address; "
    "print(ensure_lan_address(NetworkConfig(lan_interface='lan0', lan_address='10.77.0.1', "
    "client_subnet='10.77.0.0/24')))"
)


@pytest.fixture
def namespace() -> Iterator[str]:
    name = f"hg-lan-{secrets.token_hex(3)}"
    ip("netns", "add", name)
    try:
        # A veth pair: this machine's kernel may have no dummy interfaces.
        ip("-n", name, "link", "add", "lan0", "type", "veth", "peer", "name", "lan0p")
        yield name
    finally:
        ip("netns", "del", name)


def in_namespace(name: str, code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["ip", "netns", "exec", name, sys.executable, "-c", code], cwd=REPO,
                          capture_output=True, text=True, timeout=60)  # fmt: skip


def addresses(name: str) -> list[str]:
    shown = subprocess.run(["ip", "-n", name, "-j", "addr", "show", "dev", "lan0"],
                           capture_output=True, text=True, timeout=30, check=True)  # fmt: skip
    return [f"{a['local']}/{a['prefixlen']}" for a in json.loads(shown.stdout)[0]["addr_info"]]


def test_a_bare_port_gets_the_address_once_and_is_brought_up(namespace: str) -> None:
    first = in_namespace(namespace, ENSURE)
    assert first.stdout.strip() == "True", first.stderr
    assert "10.77.0.1/24" in addresses(namespace)
    second = in_namespace(namespace, ENSURE)
    assert second.stdout.strip() == "False", second.stderr
    assert addresses(namespace).count("10.77.0.1/24") == 1
    shown = ["ip", "-n", namespace, "-j", "link", "show", "lan0"]
    flags = subprocess.run(shown, capture_output=True, text=True, timeout=30, check=True).stdout
    assert "UP" in json.loads(flags)[0]["flags"]


def test_a_missing_port_is_a_clear_error(namespace: str) -> None:
    done = in_namespace(namespace, ENSURE.replace("'lan0'", "'lan9'"))
    assert done.returncode != 0
    assert "LanAddressError: ip link set dev lan9 up" in done.stderr
