"""`doctor` on a real simulated gateway, and `run` refusing a wrong key without changing a thing."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable

from gateway.demo.netns import LAN_GATEWAY, wait_for
from tests.e2e.conftest import Hotspot, needs_root_tools

pytestmark = needs_root_tools


def findings(hotspot: Hotspot) -> tuple[int, list[dict[str, str]]]:
    done = hotspot.cli("doctor", "--json")
    return done.returncode, json.loads(done.stdout)


def test_doctor_passes_a_working_gateway_and_names_what_breaks(
    make_hotspot: Callable[..., Hotspot],
) -> None:
    hotspot = make_hotspot(clients=1)
    code, found = findings(hotspot)
    assert code == 0, [f for f in found if f["status"] != "ok"]
    assert not [f for f in found if f["status"] == "fail"], found
    titles = " | ".join(f["title"] for f in found)
    for seen in ("LAN br0", "IPv4 forwarding is on", "upstream answers: 192.0.2.1:53",
                 "blocklists: 1 nama / names", "is running", "Port", "clock"):  # fmt: skip
        assert seen in titles, titles
    text = hotspot.cli("doctor")
    assert text.returncode == 0 and "siap melayani / ready to serve" in text.stdout, text.stdout
    hotspot.stop()
    code, found = findings(hotspot)
    assert code == 1
    assert [f["title"] for f in found if f["status"] == "fail"] == [
        "hotspot-gateway tidak berjalan / is not running"
    ]


def test_a_wrong_interface_or_a_taken_port_stops_run_before_it_changes_anything(
    make_hotspot: Callable[..., Hotspot],
) -> None:
    hotspot = make_hotspot(clients=1)
    hotspot.stop()  # the firewall stays as the last run left it
    ruleset = hotspot.gateway_command("nft", "list", "ruleset")
    good = hotspot.config.read_text()
    hotspot.config.write_text(good.replace('lan_interface = "br0"', 'lan_interface = "eth9"'))
    done = hotspot.cli("run")
    assert done.returncode == 2, done.stderr
    assert done.stderr.count("\n") == 1
    assert "network.lan_interface" in done.stderr and "set network.lan_interface to one of:" in (
        done.stderr
    ) and "br0" in done.stderr  # fmt: skip
    code, found = findings(hotspot)
    assert code == 1 and any("no interface eth9" in f["title"] for f in found)
    hotspot.config.write_text(good)
    # Another web server on the portal's port (a plain listener: http.server would first look
    # up its own name, through a resolver this namespace cannot reach).
    code = f"import socket, time; s = socket.create_server(({LAN_GATEWAY!r}, 80)); time.sleep(300)"
    squatter = hotspot.topo.start(hotspot.topo.gateway, [sys.executable, "-c", code])
    try:
        wait_for(lambda: f"{LAN_GATEWAY}:80 " in hotspot.gateway_command("ss", "-Hltn"),
                 "the other program's listener", limit=20, every=0.1)  # fmt: skip
        done = hotspot.cli("run")
        assert done.returncode == 2, done.stderr
        assert "portal.listen" in done.stderr and f"tcp {LAN_GATEWAY}:80" in done.stderr
        assert "python" in done.stderr and "(pid " in done.stderr, done.stderr
    finally:
        squatter.kill()
    assert hotspot.gateway_command("nft", "list", "ruleset") == ruleset  # nothing changed
