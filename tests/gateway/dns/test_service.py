"""The resolver as a process: `run_dns` with a config file, answering on its listen address."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import dns.exception
import dns.message
import dns.query
import dns.rcode

from tests.conftest import REPO
from tests.filters.builders import publish_lists, spec


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_resolver(
    state_dir: Path, tmp_path: Path, call: str
) -> tuple[subprocess.Popen[bytes], int]:
    """A resolver process on a free loopback port, blocking judi.test with NXDOMAIN."""
    publish_lists(state_dir, [(spec("judi", "gambling"), "judi.test\n")])
    port = free_port()
    config = tmp_path / "gateway.toml"
    config.write_text(
        f'[dns]\nlisten = ["127.0.0.1:{port}"]\nupstreams = ["127.0.0.1:9"]\n'
        f'blocked_answer = "nxdomain"\n[blocklists]\nstate_dir = "{state_dir}"\n'
        '[network]\nlan_address = "10.77.0.1"\n[portal]\nhost_name = "wifi.kota.test"\n'
    )
    code = (
        "from pathlib import Path; from gateway.config import load_config;"
        f"from gateway.dns import service; config = load_config(Path({str(config)!r})); {call}"
    )
    return subprocess.Popen([sys.executable, "-c", code], cwd=REPO), port


def test_run_dns_serves_the_configured_address_and_lists(state_dir: Path, tmp_path: Path) -> None:
    proc, port = start_resolver(state_dir, tmp_path, "service.run_dns(config)")
    try:
        query = dns.message.make_query("www.judi.test", "A")
        reply = None
        deadline = time.monotonic() + 30
        while reply is None and time.monotonic() < deadline:
            try:
                reply = dns.query.udp(query, "127.0.0.1", port=port, timeout=0.3)
            except dns.exception.Timeout:
                assert proc.poll() is None, "the resolver exited"
        assert reply is not None and reply.rcode() == dns.rcode.NXDOMAIN
        # The portal's own name is the gateway's address, whatever the upstreams say.
        portal = dns.query.udp(dns.message.make_query("wifi.kota.test", "A"), "127.0.0.1",
                               port=port, timeout=2)  # fmt: skip
        assert [rr.address for rr in portal.answer[0]] == ["10.77.0.1"]
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_workers_share_the_port_and_stop_together(state_dir: Path, tmp_path: Path) -> None:
    proc, port = start_resolver(state_dir, tmp_path, "service.run_dns_workers(config, 2)")
    workers: list[str] = []
    try:
        query = dns.message.make_query("judi.test", "A")
        answers = 0
        deadline = time.monotonic() + 30
        while answers < 50 and time.monotonic() < deadline:
            try:
                reply = dns.query.udp(query, "127.0.0.1", port=port, timeout=0.3)
                assert reply.rcode() == dns.rcode.NXDOMAIN
                answers += 1
            except dns.exception.Timeout:
                assert proc.poll() is None, "the resolver exited"
        assert answers == 50
        children = Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text().split()
        workers = [c for c in children if "spawn_main" in Path(f"/proc/{c}/cmdline").read_text()]
        assert len(workers) == 2
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    time.sleep(0.5)
    assert not [w for w in workers if Path(f"/proc/{w}").exists()]  # no orphaned workers
