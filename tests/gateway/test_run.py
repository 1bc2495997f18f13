"""`hotspot-gateway run` with parts switched off by config, on loopback (no namespaces needed)."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import dns.exception
import dns.message
import dns.query
import pytest

from tests.conftest import REPO
from tests.filters.builders import publish_lists, spec


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_run(tmp_path: Path, portal: bool) -> tuple[subprocess.Popen[bytes], int, int]:
    state = tmp_path / "state"
    publish_lists(state, [(spec("judi", "gambling"), "judi.test\n")])
    dns_port, portal_port = free_port(), free_port()
    config = tmp_path / "gateway.toml"
    config.write_text(
        f'[dns]\nlisten = ["127.0.0.1:{dns_port}"]\nupstreams = ["127.0.0.1:9"]\n'
        "[firewall]\nenabled = false\n[proxy]\nenabled = false\n"
        f'[portal]\nenabled = {str(portal).lower()}\nlisten = "127.0.0.1:{portal_port}"\n'
        f'[blocklists]\nstate_dir = "{state}"\n'
    )
    proc = subprocess.Popen([sys.executable, "-m", "gateway", "run", "--config", str(config)],
                            cwd=REPO, stderr=subprocess.PIPE)  # fmt: skip
    return proc, dns_port, portal_port


def wait_for_dns(proc: subprocess.Popen[bytes], port: int) -> dns.message.Message:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
        try:
            query = dns.message.make_query("judi.test", "A")
            return dns.query.udp(query, "127.0.0.1", port=port, timeout=0.5)
        except dns.exception.Timeout:
            continue
    raise AssertionError("the resolver never answered")


def stop(proc: subprocess.Popen[bytes]) -> tuple[int, str]:
    proc.send_signal(signal.SIGTERM)
    try:
        _, err = proc.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        _, err = proc.communicate(timeout=10)
    return proc.returncode, err.decode(errors="replace")


@pytest.mark.parametrize("portal", [True, False])
def test_run_without_firewall_serves_dns_and_the_portal_when_enabled(
    tmp_path: Path, portal: bool
) -> None:
    proc, dns_port, portal_port = start_run(tmp_path, portal)
    try:
        reply = wait_for_dns(proc, dns_port)
        assert [rr.address for rr in reply.answer[0]] == ["10.77.0.1"]  # the block page
        request = urllib.request.Request(f"http://127.0.0.1:{portal_port}/",
                                         headers={"Host": "portal.hotspot.internal"})  # fmt: skip
        deadline = time.monotonic() + 30
        status = None
        while status is None and time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(request, timeout=2) as response:
                    status = response.status
            except (urllib.error.URLError, ConnectionError):
                if not portal:
                    break  # nothing listens, as configured
                time.sleep(0.2)
        assert status == (200 if portal else None)
    finally:
        code, err = stop(proc)
    assert code == 0, err
    assert "INFO hotspot-gateway: stopped" in err and "firewall" not in err.split("stopped")[-1]
