"""`hotspot-gateway demo`: the scripted tour passes, and the hands-on demo works and cleans up."""

from __future__ import annotations

import re
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from gateway.demo.netns import REPO
from tests.e2e.conftest import needs_root_tools

pytestmark = [needs_root_tools, pytest.mark.timeout(300)]


def left_behind(output: str) -> list[str]:
    """Namespaces and resolver files of the demo that printed `output` that still exist."""
    gateway = re.search(r"namespace hg-gw-(\w+)", output)
    assert gateway is not None, output
    tag = gateway.group(1)
    listing = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True, timeout=30)
    names = [line.split()[0] for line in listing.stdout.splitlines() if tag in line]
    files = (
        [str(p) for p in Path("/etc/netns").glob(f"*{tag}")] if Path("/etc/netns").exists() else []
    )
    return names + files


def test_the_scripted_tour_passes_and_leaves_nothing_behind() -> None:
    done = subprocess.run([sys.executable, "-m", "gateway", "demo", "--check"], cwd=REPO,
                          capture_output=True, text=True, timeout=240)  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "9 dari 9 langkah berhasil / 9 of 9 steps passed" in done.stdout
    for seen in ("halaman blokir / phone 1 opens a gambling site", "phone 4 sees the full page"):
        assert seen in done.stdout
    assert "GAGAL" not in done.stdout
    assert left_behind(done.stdout) == []


def read_until(process: subprocess.Popen[str], pattern: str, limit: float = 60) -> str:
    """Lines of the demo's output up to the first that matches `pattern`."""
    assert process.stdout is not None
    seen = ""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        seen += line
        if re.search(pattern, line):
            return seen
    raise AssertionError(f"no {pattern!r} in the demo's output:\n{seen}")


def test_the_hands_on_demo_shows_what_to_try_counts_and_cleans_up_on_ctrl_c() -> None:
    demo = subprocess.Popen([sys.executable, "-m", "gateway", "demo"], cwd=REPO, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            start_new_session=True)  # fmt: skip
    try:
        shown = read_until(demo, r"^online 0/3 ")
        commands = [line.strip() for line in shown.splitlines() if line.strip().startswith("sudo")]
        connect = next(c for c in commands if "gateway.demo.phone connect" in c)
        # The printed command, as an installer would paste it (we are root already).
        pressed = subprocess.run(shlex.split(connect.removeprefix("sudo ")), capture_output=True,
                                 text=True, timeout=60)  # fmt: skip
        assert '"location": "/connected"' in pressed.stdout, pressed.stdout + pressed.stderr
        listing = next(c for c in commands if "sessions list" in c)
        listed = subprocess.run(shlex.split(listing.removeprefix("sudo ")), capture_output=True,
                                text=True, timeout=60)  # fmt: skip
        assert "10.77.0.10" in listed.stdout, listed.stdout + listed.stderr
        read_until(demo, r"^online 1/3 \| kueri DNS / DNS queries [1-9]")
    finally:
        demo.send_signal(signal.SIGINT)
        out, _ = demo.communicate(timeout=60)
    assert demo.returncode == 0, out
    assert "Membersihkan / cleaning up" in out
    assert left_behind(shown) == []
