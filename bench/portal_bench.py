"""Captive-portal benchmark (issue #4): a crowd pressing Connect at once, and the splash's rate.

    .venv/bin/python bench/portal_bench.py              # 100 phones, 3 rounds; wrk 10 s
    .venv/bin/python bench/portal_bench.py --phones 150 --rounds 1

Runs `hotspot-gateway run` for real in the end-to-end topology (network namespaces, nftables,
the fake internet; see tests/e2e/netns.py). Each round starts the gateway with no sessions;
every phone (its own macvlan: its own address and MAC) opens the splash, then all press
Connect at the same moment; the time from that moment to each phone's answer is measured, and
every phone must be admitted. Then wrk (Debian's `wrk`) asks for the splash from a phone's
namespace for `--seconds`. Targets: all admitted within 2 s at p99, the splash at 500 req/s
or more. The phones' own work runs on the same two cores as the gateway here.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from gateway.demo.netns import INTERNET, LAN_GATEWAY, Topology  # noqa: E402
from gateway.demo.simulation import PORTAL, HotspotSettings, SimulatedHotspot, gateway_config  # noqa: E402
from tests.e2e.conftest import LISTS  # noqa: E402
from tests.filters.builders import publish_lists, spec  # noqa: E402


def race_round(hotspot: SimulatedHotspot, crowd: int, phones: int) -> list[float]:
    """One round: every phone presses Connect together; seconds each waited (all admitted)."""
    sources = [f"10.77.0.{100 + n}" for n in range(phones)]
    results = hotspot.phone(crowd, "race", PORTAL, *sources)
    refused = {ip: r for ip, r in results.items() if r.get("location") != "/connected"}
    if refused:
        raise RuntimeError(
            f"{len(refused)} phones not admitted, e.g. {next(iter(refused.items()))}"
        )
    return sorted(float(r["seconds"]) for r in results.values())


def splash_rate(topo: Topology, client: str, seconds: int) -> dict[str, float]:
    """wrk against the splash from a phone that is not admitted: requests/s and latency."""
    done = subprocess.run(
        ["ip", "netns", "exec", client, "wrk", "-t", "2", "-c", "32", "-d", f"{seconds}s",
         "-H", f"Host: {PORTAL}", "--latency", f"http://{LAN_GATEWAY}/"],
        capture_output=True, text=True, timeout=seconds + 60, check=True,
    ).stdout  # fmt: skip
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", done).group(1))  # type: ignore[union-attr]
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", done)
    scale = {"us": 1e-3, "ms": 1.0, "s": 1e3}
    p99_ms = float(p99.group(1)) * scale[p99.group(2)] if p99 else float("nan")
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", done)
    return {"rps": rate, "p99_ms": p99_ms, "non_2xx": float(non_2xx.group(1)) if non_2xx else 0}


def main() -> None:
    """Run the rounds and the splash rate; print the table for docs/benchmarks.md."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--phones", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=10)
    args = parser.parse_args()
    for tool in ("wrk", "nft", "conntrack"):
        if shutil.which(tool) is None:
            sys.exit(f"portal_bench: {tool} is missing: apt-get install wrk nftables conntrack")
    topo = Topology()
    waits: list[list[float]] = []
    try:
        topo.build(1)
        crowd_ns = topo.add_crowd(args.phones)
        crowd = topo.clients.index(crowd_ns)
        internet = topo.start(topo.internet, [sys.executable, "-m", "gateway.demo.fake_internet",
                                              INTERNET], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE)  # fmt: skip
        assert internet.stdout is not None and internet.stdout.readline() == b"ready\n"
        with tempfile.TemporaryDirectory(prefix="portal-bench-") as tmp_name:
            tmp = Path(tmp_name)
            state = tmp / "state"
            publish_lists(state, [(spec(n, c), text) for n, (c, text) in LISTS.items()])
            config = tmp / "gateway.toml"
            settings = HotspotSettings(max_clients=args.phones, proxy=False)
            config.write_text(gateway_config(state, settings, {}))
            hotspot = SimulatedHotspot(topo, config, tmp / "run.log", state, "tests.e2e.phone")
            for _ in range(args.rounds):
                (state / "sessions.sqlite3").unlink(missing_ok=True)
                for suffix in ("-wal", "-shm"):
                    (state / f"sessions.sqlite3{suffix}").unlink(missing_ok=True)
                hotspot.start()
                waits.append(race_round(hotspot, crowd, args.phones))
                hotspot.stop()
            hotspot.start()
            rate = splash_rate(topo, topo.clients[0], args.seconds)
            hotspot.stop()
    finally:
        topo.close()
    every = sorted(w for round_ in waits for w in round_)
    p99 = every[min(len(every) - 1, int(len(every) * 0.99))]
    print(json.dumps({"rounds": [[round(r[len(r) // 2], 3), round(r[-1], 3)] for r in waits],
                      "splash": rate}), file=sys.stderr)  # fmt: skip
    print(
        f"\n{args.phones} phones pressing Connect together, {args.rounds} rounds; "
        f"splash by wrk for {args.seconds} s (2 threads, 32 connections)\n"
    )
    print("| measure | result | target |\n|---|---:|---|")
    print(f"| admitted | {len(every)} of {args.phones * args.rounds} | all |")
    print(f"| wait for the answer, median, s | {statistics.median(every):.2f} | |")
    print(f"| wait for the answer, p99, s | {p99:.2f} | <= 2 |")
    print(f"| wait for the answer, slowest, s | {every[-1]:.2f} | |")
    print(f"| splash, requests per second | {rate['rps']:,.0f} | >= 500 |")
    print(f"| splash p99 latency under wrk, ms | {rate['p99_ms']:.1f} | |")


if __name__ == "__main__":
    main()
