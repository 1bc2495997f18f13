"""The staff console for real: staff log in with a browser, check and block a name, and the
resolver refuses it; phones on the hotspot cannot reach the console or its metrics."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from gateway.demo.netns import LAN_GATEWAY, REPO
from tests.e2e.browser import CHROMIUM
from tests.e2e.conftest import PORTAL, Hotspot, needs_root_tools

pytestmark = needs_root_tools
ARTIFACTS = REPO / "test-artifacts" / "e2e"
PASSWORD = "kata-sandi-staf-panjang"


def add_staff(hotspot: Hotspot) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "gateway", "admin", "add-user", "ani", "--role", "staff",
         "--password-stdin", "--config", str(hotspot.config)],
        input=PASSWORD + "\n", capture_output=True, text=True, timeout=60, cwd=REPO,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr


@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian's chromium")
def test_staff_block_a_name_in_the_browser_and_the_resolver_refuses_it(
    make_hotspot: Callable[..., Hotspot],
) -> None:
    hotspot = make_hotspot(clients=1)
    add_staff(hotspot)
    assert hotspot.phone(0, "resolve", "slot-gacor.test", LAN_GATEWAY)["addresses"] != [LAN_GATEWAY]
    code = ("import sys; from tests.e2e import console_browser; "
            f"sys.argv = ['b', 'http://127.0.0.1:8081/', {str(ARTIFACTS)!r}]; "
            "console_browser.main()")  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(REPO), "PASSWORD": PASSWORD}
    argv = ["ip", "netns", "exec", hotspot.topo.gateway, sys.executable, "-c", code]
    done = subprocess.run(argv, cwd=REPO, env=env, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr[-3000:]
    seen = json.loads(done.stdout)
    assert seen["login_url"].endswith("/login")
    assert "phones online" in seen["status_text"] and "0 / 100" in seen["status_text"]
    assert "DIBLOKIR / BLOCKED" in seen["verdict"] and "gambling" in seen["verdict"]
    assert "DIBLOKIR / BLOCKED: slot-gacor.test" in seen["after_block"]
    assert "laporan warga <b>RT 03</b>" in seen["audit_text"]  # shown as text...
    assert not seen["audit_html_has_tag"]  # ...never as markup
    # The resolver refuses the name at once (the console tells it; it would look within 5 s).
    answer = hotspot.phone(0, "resolve", "m.slot-gacor.test", LAN_GATEWAY)
    assert answer["addresses"] == [LAN_GATEWAY], answer
    assert (ARTIFACTS / "console-blocked.png").stat().st_size > 1000


def test_a_phone_cannot_reach_the_console_or_its_metrics(
    make_hotspot: Callable[..., Hotspot],
) -> None:
    # Even told to listen on every address, the console stays off the hotspot LAN.
    hotspot = make_hotspot(clients=1, admin_listen="0.0.0.0:8081")
    assert hotspot.phone(0, "connect", PORTAL)["status"] == 303
    assert hotspot.phone(0, "tcp", LAN_GATEWAY, "8081") == "refused"
    fetch = "import urllib.request as u; print(u.urlopen('http://127.0.0.1:8081/metrics').read())"
    metrics = hotspot.gateway_command(sys.executable, "-c", fetch)
    assert "hotspot_phones_online" in metrics  # it is there, on the management side
