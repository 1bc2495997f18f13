"""A whole hotspot on one machine: `hotspot-gateway run` between phones and a fake internet.

The gateway namespace runs the real code with real nftables; the fake internet serves DNS and
web sites; each phone is a namespace whose resolver is the gateway, as DHCP would set it. The
demo, its scripted tour and the end-to-end tests all build their hotspot here.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gateway.demo.certificates import self_signed_certificate
from gateway.demo.netns import INTERNET, LAN_GATEWAY, REPO, Topology, stop_process, wait_for

PORTAL = "portal.hotspot.internal"
REPORT_CONTACT = "WA 0812-0000-0000"
# name -> (category, list text): compiled by the real `blocklist update` from file:// sources.
Lists = dict[str, tuple[str, str]]


@dataclass
class HotspotSettings:
    """What differs between one simulated hotspot and another."""

    clients: int = 2
    extra_addresses: int = 0
    max_clients: int = 100
    idle_timeout: str = "15m"
    downlink_mbit: int = 0
    tls: bool = False
    proxy: bool = True
    admin_listen: str = "127.0.0.1:8081"


@dataclass
class SimulatedHotspot:
    """A running gateway between phone namespaces and the fake internet."""

    topo: Topology
    config: Path
    log: Path
    state: Path
    phone_module: str = "gateway.demo.phone"
    process: subprocess.Popen[bytes] | None = None

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
                raise RuntimeError(f"run exited {self.process.returncode}: {self.log_text()}")
            return bool(self.phone(0, "get", f"http://{PORTAL}/")["status"] == 200)

        wait_for(ready, "the portal", limit=60, every=0.5)

    def stop(self) -> int | None:
        """SIGTERM `run`; its exit code."""
        assert self.process is not None
        return stop_process(self.process, grace=20)

    def phone(self, index: int, action: str, *args: str, **options: str) -> Any:
        """Run one action of `phone_module` in client `index`'s namespace; its JSON result."""
        flags = [f"--{key}={value}" for key, value in options.items()]
        code = (
            f"import sys; from {self.phone_module} import main; "
            f"sys.argv = ['phone', {action!r}, *{list(args)!r}, *{flags!r}]; main()"
        )
        return json.loads(self.topo.python(self.topo.clients[index], code, timeout=120))

    def gateway_command(self, *argv: str) -> str:
        """A command inside the gateway namespace (nft, conntrack, ...): its output."""
        done = subprocess.run(["ip", "netns", "exec", self.topo.gateway, *argv], cwd=REPO,
                              capture_output=True, text=True, timeout=60)  # fmt: skip
        return done.stdout + done.stderr

    def cli(self, *argv: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        """`hotspot-gateway ARGV --config F` inside the gateway namespace.

        In a session of its own, killed whole if it outlives `timeout`: a `run` that starts
        when a test expected it to refuse must not leave its resolver and proxy behind.
        """
        command = ["ip", "netns", "exec", self.topo.gateway, sys.executable, "-m", "gateway",
                   *argv, "--config", str(self.config)]  # fmt: skip
        with subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True, start_new_session=True) as proc:  # fmt: skip
            try:
                out, err = proc.communicate(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.communicate()
                raise
        return subprocess.CompletedProcess(command, proc.returncode, out, err)

    def log_text(self) -> str:
        """What `run` printed so far (the end of it)."""
        return self.log.read_text(errors="replace")[-4000:]


def gateway_config(state: Path, settings: HotspotSettings, lists: dict[str, tuple[str, Path]],
                   tls: tuple[Path, Path] | None = None) -> str:  # fmt: skip
    """The gateway's config for the simulated topology, its lists as file:// sources."""
    text = (
        f'[network]\nlan_interface = "br0"\nwan_interface = "wan0"\n'
        f'lan_address = "{LAN_GATEWAY}"\nclient_subnet = "10.77.0.0/24"\n'
        f'[dns]\nlisten = ["{LAN_GATEWAY}:53"]\nupstreams = ["{INTERNET}:53"]\n'
        'blocked_answer = "blockpage"\nsafesearch = false\nrate_limit = 0\n'
        f"[firewall]\nenabled = true\ndownlink_mbit = {settings.downlink_mbit}\n"
        f'[portal]\nlisten = "{LAN_GATEWAY}:80"\nmax_clients = {settings.max_clients}\n'
        f'idle_timeout = "{settings.idle_timeout}"\nsession_timeout = "1h"\n'
        f'host_name = "{PORTAL}"\nreport_contact = "{REPORT_CONTACT}"\n'
        + (f'tls_cert = "{tls[0]}"\ntls_key = "{tls[1]}"\n' if tls else "")
        + f"[proxy]\nenabled = {str(settings.proxy).lower()}\nlisten_port = 8443\n"
        f'[blocklists]\nstate_dir = "{state}"\n'
        f'[admin]\nlisten = "{settings.admin_listen}"\n'
    )
    for name, (category, path) in lists.items():
        text += (
            f'[[blocklists.sources]]\nname = "{name}"\nurl = "file://{path}"\n'
            f'category = "{category}"\n'
        )
    return text


def build_hotspot(
    workdir: Path, topo: Topology, lists: Lists, settings: HotspotSettings,
    phone_module: str = "gateway.demo.phone",
) -> SimulatedHotspot:  # fmt: skip
    """Make the namespaces, the fake internet, the lists and the config; start the gateway.

    The caller owns `topo` and must close it, whatever happens here.
    """
    topo.build(settings.clients, settings.extra_addresses)
    internet = topo.start(topo.internet, [sys.executable, "-m", "gateway.demo.fake_internet",
                                          INTERNET], stdin=subprocess.PIPE,
                          stdout=subprocess.PIPE)  # fmt: skip
    if internet.stdout is None or internet.stdout.readline() != b"ready\n":
        raise RuntimeError("the fake internet did not start")
    state = workdir / f"state-{topo.tag}"
    sources = {}
    for name, (category, text) in lists.items():
        path = workdir / f"list-{name}-{topo.tag}.txt"
        path.write_text(text, encoding="utf-8")
        sources[name] = (category, path)
    certificate = self_signed_certificate(workdir, [PORTAL], "portal") if settings.tls else None
    config = workdir / f"gateway-{topo.tag}.toml"
    config.write_text(gateway_config(state, settings, sources, certificate), encoding="utf-8")
    update = subprocess.run(
        [sys.executable, "-m", "gateway", "blocklist", "update", "--quiet",
         "--config", str(config)], cwd=REPO, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    if update.returncode != 0:
        raise RuntimeError(f"blocklist update failed: {update.stderr.strip()[-2000:]}")
    hotspot = SimulatedHotspot(topo, config, workdir / f"run-{topo.tag}.log", state, phone_module)
    hotspot.start()
    return hotspot
