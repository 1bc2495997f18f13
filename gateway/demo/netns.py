"""Network namespaces for end-to-end tests: a gateway, a fake internet and client phones.

    client-0 (10.77.0.10, extra addresses) ─┐
    client-1 (10.77.0.11)                  ├─ br0 10.77.0.1 [gateway] wan0 ── 192.0.2.1 [internet]
    ...                                    ─┘

Every name carries a random tag, so runs never collide, and `close()` removes every namespace,
process and /etc/netns file the topology made, whatever happened in the test. Traffic stays
inside these namespaces: the internet's only address is 192.0.2.1 (TEST-NET-1), which exists
nowhere but in its namespace.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
LAN_PREFIX, LAN_GATEWAY = "10.77.0", "10.77.0.1"
WAN_GATEWAY, INTERNET = "192.0.2.2", "192.0.2.1"


def ip(*args: str) -> None:
    """Run `ip ARGS`, failing loudly with its message."""
    done = subprocess.run(["ip", *args], capture_output=True, text=True, timeout=30)
    if done.returncode != 0:
        raise RuntimeError(f"ip {' '.join(args)}: {done.stderr.strip()}")


@dataclass
class Topology:
    """The namespaces of one test, and the processes started in them."""

    tag: str = field(default_factory=lambda: secrets.token_hex(3))
    clients: list[str] = field(default_factory=list)
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)
    made: list[str] = field(default_factory=list)

    @property
    def gateway(self) -> str:
        """The gateway's namespace."""
        return f"hg-gw-{self.tag}"

    @property
    def internet(self) -> str:
        """The fake internet's namespace."""
        return f"hg-net-{self.tag}"

    def client_address(self, index: int) -> str:
        """The main address of client `index`."""
        return f"{LAN_PREFIX}.{10 + index}"

    def build(self, clients: int, extra_addresses: int = 0) -> None:
        """Make the namespaces and links; client 0 also gets `extra_addresses` more addresses."""
        for ns in (self.gateway, self.internet):
            self._add_namespace(ns)
        gw, net = self.gateway, self.internet
        ip("link", "add", "wan0", "netns", gw, "type", "veth", "peer", "name", "eth0", "netns", net)
        ip("-n", gw, "addr", "add", f"{WAN_GATEWAY}/24", "dev", "wan0")
        ip("-n", net, "addr", "add", f"{INTERNET}/24", "dev", "eth0")
        for ns, dev in ((gw, "wan0"), (net, "eth0")):
            ip("-n", ns, "link", "set", dev, "up")
        ip("-n", gw, "route", "add", "default", "via", INTERNET)
        ip("-n", gw, "link", "add", "br0", "type", "bridge")
        ip("-n", gw, "addr", "add", f"{LAN_GATEWAY}/24", "dev", "br0")
        ip("-n", gw, "link", "set", "br0", "up")
        for index in range(clients):
            self._add_client(index, extra_addresses if index == 0 else 0)

    def add_crowd(self, count: int, first: int = 100) -> str:
        """One more client namespace holding `count` phones: each its own address and MAC.

        Each phone is a macvlan (its own MAC, as real phones have; the gateway keys a session
        to the MAC too) with a /32 address and its own routing table, so a socket bound to
        the address leaves through that phone's interface. Returns the namespace; the
        addresses are 10.77.0.{first}... in order. Made with one `ip -batch` per step.
        """
        index = len(self.clients)
        self._add_client(index, 0)
        ns = self.clients[index]
        for key in ("all", "default"):  # only the phone that has the address answers ARP for it
            for setting in (
                f"net.ipv4.conf.{key}.arp_ignore=1",
                f"net.ipv4.conf.{key}.arp_announce=2",
            ):
                sysctl = ["ip", "netns", "exec", ns, "sysctl", "-q", "-w", setting]
                subprocess.run(sysctl, check=True, timeout=30)
        links, routes = [], []
        for n in range(count):
            dev, address, table = f"ph{n}", f"{LAN_PREFIX}.{first + n}", str(1000 + n)
            links += [f"link add {dev} link eth0 type macvlan mode bridge",
                      f"addr add {address}/32 dev {dev}", f"link set {dev} up"]  # fmt: skip
            routes += [f"rule add from {address} table {table}",
                       f"route add {LAN_GATEWAY} dev {dev} table {table}",
                       f"route add default via {LAN_GATEWAY} dev {dev} table {table}"]  # fmt: skip
        for batch in (links, routes):
            done = subprocess.run(["ip", "-n", ns, "-batch", "-"], input="\n".join(batch) + "\n",
                                  capture_output=True, text=True, timeout=60)  # fmt: skip
            if done.returncode != 0:
                raise RuntimeError(f"ip -batch in {ns}: {done.stderr.strip()[-500:]}")
        return ns

    def _add_namespace(self, ns: str) -> None:
        ip("netns", "add", ns)
        self.made.append(ns)
        ip("-n", ns, "link", "set", "lo", "up")

    def _add_client(self, index: int, extra: int) -> None:
        ns = f"hg-c{index}-{self.tag}"
        self._add_namespace(ns)
        self.clients.append(ns)
        port = f"lan{index}"
        ip("link", "add", port, "netns", self.gateway, "type", "veth", "peer", "name", "eth0",
           "netns", ns)  # fmt: skip
        ip("-n", self.gateway, "link", "set", port, "master", "br0")
        ip("-n", self.gateway, "link", "set", port, "up")
        ip("-n", ns, "addr", "add", f"{self.client_address(index)}/24", "dev", "eth0")
        for n in range(extra):
            ip("-n", ns, "addr", "add", f"{LAN_PREFIX}.{100 + n}/24", "dev", "eth0")
        ip("-n", ns, "link", "set", "eth0", "up")
        ip("-n", ns, "route", "add", "default", "via", LAN_GATEWAY)
        # The resolver a phone gets from DHCP: the gateway.
        netns_etc = Path("/etc/netns") / ns
        netns_etc.mkdir(parents=True, exist_ok=True)
        (netns_etc / "resolv.conf").write_text(f"nameserver {LAN_GATEWAY}\n")

    def start(self, ns: str, argv: list[str], **kwargs: object) -> subprocess.Popen[bytes]:
        """Start a process inside namespace `ns`; it is stopped by close()."""
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        proc: subprocess.Popen[bytes] = subprocess.Popen(  # type: ignore[call-overload]
            ["ip", "netns", "exec", ns, *argv], cwd=REPO, env=env, start_new_session=True, **kwargs
        )
        self.processes.append(proc)
        return proc

    def python(self, ns: str, code: str, timeout: float = 60) -> str:
        """Run Python code inside `ns` (the repo importable); its stdout, or an error."""
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        done = subprocess.run(["ip", "netns", "exec", ns, sys.executable, "-c", code], cwd=REPO,
                              env=env, capture_output=True, text=True, timeout=timeout)  # fmt: skip
        if done.returncode != 0:
            raise RuntimeError(f"in {ns}: {done.stderr.strip()[-2000:]}")
        return done.stdout

    def close(self) -> None:
        """Stop every process and remove every namespace this topology made."""
        for proc in self.processes:
            stop_process(proc)
        for ns in reversed(self.made):
            with contextlib.suppress(RuntimeError):
                ip("netns", "del", ns)
            shutil.rmtree(Path("/etc/netns") / ns, ignore_errors=True)


def stop_process(proc: subprocess.Popen[bytes], grace: float = 10.0) -> int | None:
    """SIGTERM the process group, then SIGKILL after `grace` seconds; its exit code."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
    for pipe in (proc.stdin, proc.stdout, proc.stderr):
        if pipe is not None:
            pipe.close()
    return proc.returncode


def wait_for(check: object, what: str, limit: float = 30.0, every: float = 0.2) -> None:
    """Call `check()` until it returns true, at most `limit` seconds."""
    deadline = time.monotonic() + limit
    last: Exception | None = None
    while time.monotonic() < deadline:
        try:
            if check():  # type: ignore[operator]
                return
        except Exception as exc:  # the thing waited for is not up yet
            last = exc
        time.sleep(every)
    raise TimeoutError(f"{what} not within {limit} s (last error: {last})")
