"""`run` killed outright takes its resolver and proxy with it, so the next `run` can start."""

from __future__ import annotations

import os
import signal
from collections.abc import Callable

from gateway.demo.netns import LAN_GATEWAY, wait_for
from tests.e2e.conftest import Hotspot, needs_root_tools

pytestmark = needs_root_tools


def test_the_parts_end_when_run_is_killed(make_hotspot: Callable[..., Hotspot]) -> None:
    hotspot = make_hotspot(clients=1)

    def listening() -> str:
        return hotspot.gateway_command("ss", "-Hlntu")

    assert f"{LAN_GATEWAY}:53 " in listening() and f"{LAN_GATEWAY}:8443 " in listening()
    assert hotspot.process is not None
    os.kill(hotspot.process.pid, signal.SIGKILL)  # `run` alone, not its process group
    hotspot.process.wait(timeout=10)
    wait_for(lambda: f"{LAN_GATEWAY}:53 " not in listening()
             and f"{LAN_GATEWAY}:8443 " not in listening(),
             "the resolver and proxy to end with run", limit=15)  # fmt: skip
    hotspot.start()  # and a new run starts cleanly in their place
    assert f"{LAN_GATEWAY}:53 " in listening()
