"""What `doctor` and `run`'s pre-flight look at, read off this machine: the only impure part.

Each reader returns plain data (or None when it cannot tell), so the checks that judge it are
pure functions tested without root, and a reader that fails never hides the others' answers.
"""

from __future__ import annotations

import json
import re
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from dnslib import QTYPE, RCODE, DNSRecord

from filters.snapshot_file import SnapshotError, read_meta
from filters.store import SnapshotStore
from gateway.admin.users import UserError, UserStore
from gateway.config import GatewayConfig

COMMAND_TIMEOUT = 10.0
UPSTREAM_TIMEOUT = 2.0
SERVICE = "hotspot-gateway.service"
# `ss -Hlntup`: "tcp LISTEN 0 4096 127.0.0.53%lo:53 0.0.0.0:* users:(("name",pid=1,fd=3))"
_SS_LINE = re.compile(
    r"^(?P<proto>tcp|udp)\s+\S+\s+\d+\s+\d+\s+(?P<local>\S+)\s+\S+\s*(?P<users>.*)$"
)
_SS_USER = re.compile(r'\("(?P<program>[^"]+)",pid=(?P<pid>\d+)')


@dataclass(frozen=True)
class Listener:
    """A socket listening (TCP) or bound (UDP) on this machine, and who holds it."""

    proto: str
    address: str
    port: int
    pid: int | None = None
    program: str = "?"
    ours: bool = False

    def who(self) -> str:
        """The holder as staff would look it up."""
        return f"{self.program} (pid {self.pid})" if self.pid else "another program"


@dataclass
class MachineFacts:
    """Everything the checks judge; None where it could not be read."""

    addresses: dict[str, list[str]] | None = None  # interface -> its addresses
    default_route_via: str | None = None  # the interface of the IPv4 default route
    forwarding: bool | None = None
    nft: str | None = None
    listeners: list[Listener] | None = None
    upstreams: dict[str, str | None] = field(default_factory=dict)  # upstream -> error or None
    snapshot_created: float | None = None
    snapshot_names: int | None = None
    snapshot_error: str | None = None
    disk_free: int | None = None
    now: float = 0.0
    ntp_synchronized: bool | None = None
    service: str | None = None  # systemd's word for our unit, or None without systemd
    console_accounts: int | None = None


def _command(argv: list[str]) -> str | None:
    """A command's output, or None when it is missing or fails."""
    if shutil.which(argv[0]) is None:
        return None
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=COMMAND_TIMEOUT)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout if done.returncode == 0 else None


def read_addresses() -> dict[str, list[str]] | None:
    """Interface names and their addresses, from `ip -j addr`."""
    out = _command(["ip", "-j", "addr", "show"])
    if out is None:
        return None
    return {
        link["ifname"]: [a["local"] for a in link.get("addr_info", []) if "local" in a]
        for link in json.loads(out)
    }


def read_default_route() -> str | None:
    """The interface the IPv4 default route leaves by."""
    out = _command(["ip", "-j", "route", "show", "default"])
    routes = json.loads(out) if out else []
    return str(routes[0]["dev"]) if routes and "dev" in routes[0] else None


def read_forwarding() -> bool | None:
    """Whether the kernel forwards IPv4."""
    try:
        return Path("/proc/sys/net/ipv4/ip_forward").read_text().strip() == "1"
    except OSError:
        return None


def _argv(pid: int) -> list[bytes]:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return []


def _parent(pid: int) -> int | None:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    found = re.search(r"^PPid:\s+(\d+)", status, re.MULTILINE)
    return int(found.group(1)) if found else None


def _is_ours(pid: int) -> bool:
    """Whether a process is hotspot-gateway, or a part that multiprocessing started for it.

    The resolver, the proxy and resolver workers are children of `run` whose command lines do
    not name the gateway, so their parents are asked.
    """
    for _ in range(4):  # run -> resolver -> worker is as deep as it goes
        argv = _argv(pid)
        if (argv and argv[0].endswith(b"hotspot-gateway")) or argv[1:3] == [b"-m", b"gateway"]:
            return True
        if not any(arg.startswith(b"from multiprocessing") for arg in argv):
            return False
        parent = _parent(pid)
        if parent is None:
            return False
        pid = parent
    return False


def parse_listeners(text: str) -> list[Listener]:
    """Listeners from `ss -Hlntup` output."""
    found = []
    for line in text.splitlines():
        match = _SS_LINE.match(line.strip())
        if match is None:
            continue
        host, _, port = match["local"].rpartition(":")
        host = host.strip("[]").split("%", 1)[0]
        user = _SS_USER.search(match["users"])
        pid = int(user["pid"]) if user else None
        program = user["program"] if user else "?"
        found.append(Listener(match["proto"], host, int(port), pid, program,
                              pid is not None and _is_ours(pid)))  # fmt: skip
    return found


def read_listeners() -> list[Listener] | None:
    """Every listening TCP and bound UDP socket, with its process."""
    out = _command(["ss", "-Hlntup"])
    return None if out is None else parse_listeners(out)


def ask_upstream(upstream: str) -> str | None:
    """None if the upstream answers a query for the root's NS records, else what went wrong."""
    host, _, port = upstream.rpartition(":")
    query = DNSRecord.question(".", "NS")
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_DGRAM) as sock:
        sock.settimeout(UPSTREAM_TIMEOUT)
        try:
            sock.sendto(query.pack(), (host.strip("[]"), int(port)))
            reply = DNSRecord.parse(sock.recv(4096))
        except TimeoutError:
            return f"no answer within {UPSTREAM_TIMEOUT:g} s"
        except OSError as exc:
            return exc.strerror or str(exc)
        except Exception as exc:  # dnslib raises its own errors for garbage
            return f"a reply that is not DNS ({exc})"
    if reply.header.id != query.header.id:
        return "a reply to another query"
    if reply.header.rcode not in (RCODE.NOERROR, RCODE.NXDOMAIN) or reply.q.qtype != QTYPE.NS:
        return f"answered {RCODE.get(reply.header.rcode)}"
    return None


def read_snapshot(facts: MachineFacts, state_dir: Path) -> None:
    """When the current blocklist snapshot was built, and how many names it holds."""
    try:
        current = SnapshotStore(state_dir).current_path()
        if current is None:
            return
        meta = read_meta(current)
        created = datetime.strptime(meta["created"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
        facts.snapshot_created = created.timestamp()
        facts.snapshot_names = int(meta["keys"])
    except (OSError, SnapshotError, KeyError, ValueError) as exc:
        facts.snapshot_error = str(exc)


def read_disk_free(state_dir: Path) -> int | None:
    """Free bytes where the state directory is (or would be)."""
    path = state_dir
    while not path.exists() and path != path.parent:
        path = path.parent
    try:
        return shutil.disk_usage(path).free
    except OSError:
        return None


def read_ntp() -> bool | None:
    """Whether systemd says the clock is synchronised (None without timedatectl)."""
    out = _command(["timedatectl", "show", "-p", "NTPSynchronized", "--value"])
    return None if out is None else out.strip() == "yes"


def read_service() -> str | None:
    """Systemd's state of our unit, or None on a machine not run by systemd."""
    if not Path("/run/systemd/system").is_dir() or shutil.which("systemctl") is None:
        return None
    done = subprocess.run(["systemctl", "is-active", SERVICE], capture_output=True, text=True,
                          timeout=COMMAND_TIMEOUT)  # fmt: skip
    return done.stdout.strip() or "unknown"


def gather(config: GatewayConfig) -> MachineFacts:
    """Read everything the checks need."""
    facts = MachineFacts(
        addresses=read_addresses(),
        default_route_via=read_default_route(),
        forwarding=read_forwarding(),
        nft=shutil.which("nft"),
        listeners=read_listeners(),
        upstreams={upstream: ask_upstream(upstream) for upstream in config.dns.upstreams},
        disk_free=read_disk_free(config.blocklists.state_dir),
        now=time.time(),
        ntp_synchronized=read_ntp(),
        service=read_service(),
    )
    read_snapshot(facts, config.blocklists.state_dir)
    try:
        facts.console_accounts = len(UserStore(config.blocklists.state_dir).users())
    except (UserError, OSError):
        facts.console_accounts = None
    return facts


def gather_for_start() -> MachineFacts:
    """The little `run` checks before it changes anything: interfaces and listeners."""
    return MachineFacts(addresses=read_addresses(), listeners=read_listeners(), now=time.time(),
                        forwarding=read_forwarding())  # fmt: skip
