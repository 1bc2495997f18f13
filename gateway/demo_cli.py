"""`hotspot-gateway demo`: a simulated hotspot on this machine, no Wi-Fi hardware needed.

The gateway runs the real code with real nftables in a network namespace, between phone
namespaces and a fake internet (web sites, an authoritative DNS, and sites in each blocked
category). `demo` prints what to try and a live status line until Ctrl-C; `demo --check` runs
the scripted tour and exits 0 when every step held, 1 otherwise. Everything it made is removed
when it ends, however it ends.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import sys
import tempfile
import time
from pathlib import Path
from types import FrameType
from typing import Any

from gateway.config import load_config
from gateway.demo.netns import LAN_GATEWAY, Topology
from gateway.demo.simulation import PORTAL, HotspotSettings, SimulatedHotspot, build_hotspot
from gateway.demo.tour import DEMO_LISTS, TOUR_CAP, TOUR_PHONES, run_tour
from gateway.errors import CommandFailed, UsageError
from gateway.sessions.store import SessionStore, sessions_path
from gateway.stats_files import read_stats, stats_dir

NEEDED_TOOLS = ("ip", "nft", "conntrack", "prlimit", "openssl")
STATUS_EVERY = 1.0  # seconds between status checks
STATUS_QUIET = 30.0  # without a terminal, an unchanged status is printed this often


def add_demo_command(commands: Any) -> None:
    """Register `demo`."""
    demo = commands.add_parser("demo", help="a simulated hotspot on this machine",
                               description=__doc__.splitlines()[0])  # fmt: skip
    demo.add_argument("--check", action="store_true",
                      help="run the scripted tour (4 phones, cap 3) and exit 0 or 1")  # fmt: skip
    demo.add_argument("--phones", type=int, default=3, help="phones to simulate (default 3)")
    demo.add_argument("--max-clients", type=int, default=3,
                      help="phones allowed online at once (default 3)")  # fmt: skip
    demo.set_defaults(handler=cmd_demo)


def _stop_on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt  # the same clean-up as Ctrl-C


def check_machine() -> None:
    """Root and the tools the simulation needs; a one-line reason otherwise."""
    if os.geteuid() != 0:
        raise CommandFailed("demo needs root for network namespaces and nftables: "
                            "run `sudo make demo` or `sudo hotspot-gateway demo`")  # fmt: skip
    missing = [tool for tool in NEEDED_TOOLS if shutil.which(tool) is None]
    if missing:
        raise CommandFailed(
            f"demo needs {', '.join(missing)}: `sudo make demo` installs them "
            "(apt-get install iproute2 nftables conntrack util-linux openssl)"
        )


def cmd_demo(args: argparse.Namespace) -> int:
    """Build the simulated hotspot, then tour it (--check) or leave it to play with."""
    phones, cap = (TOUR_PHONES, TOUR_CAP) if args.check else (args.phones, args.max_clients)
    if not 1 <= phones <= 50 or not 1 <= cap <= 250:
        raise UsageError("--phones must be 1 to 50 and --max-clients 1 to 250")
    check_machine()
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    workdir = Path(tempfile.mkdtemp(prefix="hotspot-demo-"))
    topo = Topology()
    try:
        print("Menyiapkan hotspot simulasi / building the simulated hotspot ...", flush=True)
        hotspot = build_hotspot(workdir, topo, DEMO_LISTS, HotspotSettings(phones, max_clients=cap))
        if args.check:
            print(f"Gateway: namespace {topo.gateway}", flush=True)
            steps = run_tour(hotspot, lambda line: print(line, flush=True))
            failed = [s for s in steps if not s.passed]
            print(f"{len(steps) - len(failed)} dari {len(steps)} langkah berhasil / "
                  f"{len(steps) - len(failed)} of {len(steps)} steps passed")  # fmt: skip
            return 1 if failed else 0
        print(instructions(hotspot), flush=True)
        show_status(hotspot, cap)
        return 0
    except KeyboardInterrupt:
        return 0
    except (OSError, RuntimeError, TimeoutError) as exc:
        raise CommandFailed(f"demo: {exc}") from None
    finally:
        print("\nMembersihkan / cleaning up ...", flush=True)
        topo.close()
        shutil.rmtree(workdir, ignore_errors=True)


def instructions(hotspot: SimulatedHotspot) -> str:
    """What to try, as commands to paste: each runs as one of the phones."""
    topo, python = hotspot.topo, sys.executable
    phones = "\n".join(f"  telepon / phone {n + 1}: {ns} ({topo.client_address(n)})"
                       for n, ns in enumerate(topo.clients))  # fmt: skip
    as_phone = f"sudo ip netns exec {topo.clients[0]}"
    return f"""
Hotspot simulasi siap / the simulated hotspot is ready.
Gateway: namespace {topo.gateway}, LAN {LAN_GATEWAY}, config {hotspot.config}
{phones}

Coba sebagai telepon 1 / try as phone 1:
  {as_phone} curl -si http://example.test/ | head -3
      ke halaman sambutan / sent to the splash page
  {as_phone} {python} -m gateway.demo.phone connect {PORTAL}
      ketuk Sambungkan / tap Connect
  {as_phone} curl -s http://example.test/ | head -3
      online
  {as_phone} curl -si http://judi.test/ | head -20
      halaman blokir (juga porn.test, malware.test, phishing.test) / the block page
  sudo ip netns exec {topo.gateway} {python} -m gateway sessions list --config {hotspot.config}
      siapa yang online / who is online

Ctrl-C menghentikan dan membersihkan semuanya / Ctrl-C stops and removes everything.
"""


def status_line(hotspot: SimulatedHotspot, cap: int) -> str:
    """Phones online of the cap, DNS queries and blocked, from the gateway's own files."""
    config = load_config(hotspot.config)
    with SessionStore(sessions_path(config)) as store:
        online = len(store.sessions())
    directory = stats_dir(config.blocklists.state_dir)
    dns = read_stats(directory, "dns")
    queries = sum(int(d.get("queries", 0)) for d in dns)
    blocked = sum(sum(d.get("blocked", {}).values()) for d in dns)
    proxy = read_stats(directory, "proxy")
    refused = sum(sum(p.get(event, {}).values()) for p in proxy
                  for event in ("sni_blocked", "http_blocked", "no_sni_blocked"))  # fmt: skip
    return (f"online {online}/{cap} | kueri DNS / DNS queries {queries} | "
            f"diblokir / blocked: DNS {blocked}, proxy {refused}")  # fmt: skip


def show_status(hotspot: SimulatedHotspot, cap: int) -> None:
    """Print the status line until interrupted: in place on a terminal, else when it changes."""
    terminal = sys.stdout.isatty()
    last, printed = "", 0.0
    while True:
        if hotspot.process is not None and hotspot.process.poll() is not None:
            raise RuntimeError(f"the gateway stopped: {hotspot.log_text()[-1000:]}")
        line = status_line(hotspot, cap)
        now = time.monotonic()
        if terminal:
            print(f"\r{line}   ", end="", flush=True)
        elif line != last or now - printed >= STATUS_QUIET:
            print(line, flush=True)
            printed = now
        last = line
        time.sleep(STATUS_EVERY)
