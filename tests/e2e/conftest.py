"""The hotspot fixture: namespaces, the fake internet, and `hotspot-gateway run` for real."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.certificates import self_signed_certificate
from tests.e2e.netns import INTERNET, LAN_GATEWAY, REPO, Topology, stop_process, wait_for
from tests.filters.builders import publish_lists, spec

PORTAL = "portal.hotspot.internal"
LISTS = [(spec("judi", "gambling"), "judi.test\nexample.test/slot-gacor\n")]

needs_root_tools = pytest.mark.skipif(
    any(shutil.which(tool) is None for tool in ("ip", "nft", "conntrack")),
    reason="needs iproute2, nftables and conntrack (make test installs them)",
)


@dataclass
class Hotspot:
    """A running gateway between test phones and the fake internet."""

    topo: Topology
    config: Path
    log: Path
    state: Path
    process: subprocess.Popen[bytes] | None = None
    options: dict[str, Any] = field(default_factory=dict)

    def start(self) -> None:
        """Start `hotspot-gateway run` in the gateway namespace and wait until it answers."""
        with self.log.open("ab") as log:
            self.process = self.topo.start(
                self.topo.gateway,
                # systemd's default soft limit on open files, which `run` must raise itself.
                ["prlimit", "--nofile=1024:",
                 sys.executable, "-m", "gateway", "run", "--config", str(self.config)],
                stdout=log, stderr=subprocess.STDOUT,
            )  # fmt: skip

        def ready() -> bool:
            assert self.process is not None
            if self.process.poll() is not None:
                raise AssertionError(f"run exited {self.process.returncode}: {self.log_text()}")
            return self.phone(0, "get", f"http://{PORTAL}/")["status"] == 200

        wait_for(ready, "the portal", limit=60, every=0.5)

    def stop(self) -> int | None:
        """SIGTERM `run`; its exit code."""
        assert self.process is not None
        return stop_process(self.process, grace=20)

    def phone(self, index: int, action: str, *args: str, **options: str) -> Any:
        """Run one tests.e2e.phone action in client `index`'s namespace; its JSON result."""
        flags = [f"--{key}={value}" for key, value in options.items()]
        code = (
            "import sys; from tests.e2e import phone; "
            f"sys.argv = ['phone', {action!r}, *{list(args)!r}, *{flags!r}]; phone.main()"
        )
        return json.loads(self.topo.python(self.topo.clients[index], code, timeout=120))

    def gateway_command(self, *argv: str) -> str:
        """A command inside the gateway namespace (nft, conntrack, hotspot-gateway ...)."""
        done = subprocess.run(["ip", "netns", "exec", self.topo.gateway, *argv], cwd=REPO,
                              capture_output=True, text=True, timeout=60)  # fmt: skip
        return done.stdout + done.stderr

    def cli(self, *argv: str) -> subprocess.CompletedProcess[str]:
        """`hotspot-gateway ARGV --config F` inside the gateway namespace."""
        return subprocess.run(
            ["ip", "netns", "exec", self.topo.gateway, sys.executable, "-m", "gateway", *argv,
             "--config", str(self.config)],
            cwd=REPO, capture_output=True, text=True, timeout=60,
        )  # fmt: skip

    def log_text(self) -> str:
        """What `run` printed so far (the end of it)."""
        return self.log.read_text(errors="replace")[-4000:]


def write_config(
    path: Path,
    state: Path,
    max_clients: int,
    idle_timeout: str,
    downlink_mbit: int = 0,
    tls: tuple[Path, Path] | None = None,
    proxy: bool = True,
) -> None:
    """The gateway's config for the test topology."""
    path.write_text(
        f'[network]\nlan_interface = "br0"\nwan_interface = "wan0"\n'
        f'lan_address = "{LAN_GATEWAY}"\nclient_subnet = "10.77.0.0/24"\n'
        f'[dns]\nlisten = ["{LAN_GATEWAY}:53"]\nupstreams = ["{INTERNET}:53"]\n'
        'blocked_answer = "blockpage"\nsafesearch = false\nrate_limit = 0\n'
        f"[firewall]\nenabled = true\ndownlink_mbit = {downlink_mbit}\n"
        f'[portal]\nlisten = "{LAN_GATEWAY}:80"\nmax_clients = {max_clients}\n'
        f'idle_timeout = "{idle_timeout}"\nsession_timeout = "1h"\nhost_name = "{PORTAL}"\n'
        'report_contact = "WA 0812-0000-0000"\n'
        + (f'tls_cert = "{tls[0]}"\ntls_key = "{tls[1]}"\n' if tls else "")
        + f"[proxy]\nenabled = {str(proxy).lower()}\nlisten_port = 8443\n"
        f'[blocklists]\nstate_dir = "{state}"\n'
    )


@pytest.fixture
def make_hotspot(tmp_path: Path) -> Iterator[Callable[..., Hotspot]]:
    """Build a topology and start the gateway; everything is torn down after the test."""
    topologies: list[Topology] = []

    def make(clients: int = 2, extra_addresses: int = 0, max_clients: int = 100,
             idle_timeout: str = "15m", downlink_mbit: int = 0,
             tls: bool = False, proxy: bool = True) -> Hotspot:  # fmt: skip
        topo = Topology()
        topologies.append(topo)
        topo.build(clients, extra_addresses)
        internet = topo.start(topo.internet, [sys.executable, "-m", "tests.e2e.fake_internet",
                                              INTERNET], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE)  # fmt: skip
        assert internet.stdout is not None and internet.stdout.readline() == b"ready\n"
        state = tmp_path / f"state-{topo.tag}"
        publish_lists(state, LISTS)
        config = tmp_path / f"gateway-{topo.tag}.toml"
        certificate = self_signed_certificate(tmp_path, [PORTAL], "portal") if tls else None
        write_config(config, state, max_clients, idle_timeout, downlink_mbit, certificate, proxy)
        hotspot = Hotspot(topo, config, tmp_path / f"run-{topo.tag}.log", state)
        hotspot.start()
        return hotspot

    try:
        yield make
    finally:
        for topo in topologies:
            topo.close()
