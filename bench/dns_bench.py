"""DNS resolver benchmark (issue #3): this resolver beside unbound, with dnsperf, in one run.

    .venv/bin/python bench/dns_bench.py      # 1,000,000 blocked names, 5 rounds, about 5 minutes
    .venv/bin/python bench/dns_bench.py --names 200000 --rates 20000 --repeats 3

Needs Debian's dnsperf, unbound and dnsmasq-base. Both resolvers load the same list (unbound as
`local-zone ... always_nxdomain`, ours with blocked_answer = "nxdomain"), answer the same query
file (half blocked names and their subdomains, half allowed names that repeat so the cache
serves them) and forward to the same stub upstream on loopback (dnsmasq answering every name
with a 300 s TTL).
Everything stays on 127.0.0.1. Both servers run side by side and take turns, round after
round: flat out, then at each fixed rate. Prints the medians of queries per second, average,
median and p99 latency, then resident memory and start-up time of each, and the ratios.
"""

from __future__ import annotations

import argparse
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from blocklist_data import LISTS, generate, real_names

from filters.compiler import CompileInput, compile_snapshot
from filters.never_block import NeverBlock
from filters.sources import SourceSpec
from filters.store import SnapshotStore
from gateway.dns.reload import REFRESH_SECONDS

ROOT = Path(__file__).resolve().parent.parent
SWAPPED_IN = "swapped-in.allowed-example.net"  # only in the newer snapshot


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def write_list(tmp: Path, names: int, seed: int) -> tuple[Path, list[str]]:
    """One domains file of `names` names: the real lists plus generated ones."""
    gen, _count, _shapes = generate(names, seed, LISTS)
    listed = sorted(real_names(LISTS) | set(gen.read_text(encoding="utf-8").split()))[:names]
    path = tmp / "blocked.txt"
    path.write_text("\n".join(listed) + "\n", encoding="utf-8")
    return path, listed


def write_queries(tmp: Path, listed: list[str], count: int, seed: int) -> Path:
    """Half blocked (listed names and subdomains), half 2,000 allowed names that repeat."""
    rng = random.Random(seed)
    lines = []
    for i in range(count):
        if i % 2:
            name = rng.choice(listed)
            lines.append(f"{'www.' + name if rng.random() < 0.5 else name} A")
        else:
            lines.append(f"site{rng.randrange(2000)}.allowed-example.net A")
    path = tmp / "queries.txt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def tree_pss(pid: int) -> int:
    """Proportional set size of a process and its children: shared snapshot pages count once."""
    total = 0
    with open(f"/proc/{pid}/smaps_rollup", encoding="ascii") as fh:
        for line in fh:
            if line.startswith("Pss:"):
                total += int(line.split()[1]) * 1024
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        children = []
    return total + sum(tree_pss(int(child)) for child in children)


def wait_answering(port: int, limit: float = 120.0) -> float:
    """Seconds until a query to `port` gets an answer (bounded)."""
    import dns.message
    import dns.query

    start = time.monotonic()
    query = dns.message.make_query("probe.allowed-example.net", "A")
    while time.monotonic() - start < limit:
        try:
            dns.query.udp(query, "127.0.0.1", port=port, timeout=0.2)
            return time.monotonic() - start
        except Exception:
            time.sleep(0.05)
    raise RuntimeError(f"nothing answered on port {port} within {limit} s")


def dnsperf(
    port: int, queries: Path, seconds: int, rate: int = 0, in_flight: int = 100
) -> dict[str, float]:
    """Run dnsperf (flat out, or at `rate` q/s); q/s, average and p99 latency, lost queries."""
    limit = ["-Q", str(rate)] if rate else []
    out = subprocess.run(
        ["dnsperf", "-s", "127.0.0.1", "-p", str(port), "-d", str(queries), "-l", str(seconds),
         "-c", "20", "-q", str(in_flight), "-v", *limit],
        capture_output=True, text=True, check=True, timeout=seconds + 60,
    ).stdout  # fmt: skip
    # "> NOERROR name A 0.000150": one line per answer; lost queries ("> T ...") have no time.
    latencies = []
    for line in out.splitlines():
        fields = line.split()
        if line.startswith("> ") and len(fields) == 5 and fields[1] != "T":
            latencies.append(float(fields[4]))
    qps = next(float(x.split()[-1]) for x in out.splitlines() if "Queries per second" in x)
    latencies.sort()
    return {
        "qps": qps,
        "avg_ms": statistics.fmean(latencies) * 1e3,
        "p50_ms": latencies[len(latencies) // 2] * 1e3,
        "p99_ms": latencies[int(len(latencies) * 0.99)] * 1e3,
        "answered": len(latencies),
        "lost": next(int(x.split()[2]) for x in out.splitlines() if "Queries lost" in x),
    }


def start_stub(port: int) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        ["dnsmasq", "--keep-in-foreground", "--no-resolv", "--no-hosts", "--bind-interfaces",
         "--listen-address=127.0.0.1", f"--port={port}", "--address=/#/192.0.2.1",
         "--cache-size=0", "--local-ttl=300", "--user=root", "--pid-file="],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip


def start_unbound(
    tmp: Path, port: int, stub: int, listed: list[str], threads: int
) -> subprocess.Popen[bytes]:
    zones = tmp / "unbound-blocked.conf"
    zones.write_text("".join(f'local-zone: "{n}." always_nxdomain\n' for n in listed))
    conf = tmp / "unbound.conf"
    conf.write_text(
        f"server:\n  interface: 127.0.0.1\n  port: {port}\n  do-daemonize: no\n"
        f'  username: ""\n  chroot: ""\n  directory: "{tmp}"\n  pidfile: ""\n'
        f"  num-threads: {threads}\n  access-control: 127.0.0.0/8 allow\n"
        "  do-not-query-localhost: no\n"
        '  module-config: "iterator"\n  use-syslog: no\n  verbosity: 0\n'
        f'  include: "{zones}"\nforward-zone:\n  name: "."\n  forward-addr: 127.0.0.1@{stub}\n'
    )
    return subprocess.Popen(["unbound", "-d", "-c", str(conf)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)  # fmt: skip


def compile_list(store: SnapshotStore, blocked: Path) -> tuple[Path, str]:
    """A snapshot of one domains file, compiled but not yet published."""
    spec = SourceSpec("bench", f"file://{blocked}", "gambling")
    snap = store.new_snapshot_temp()
    meta = compile_snapshot([CompileInput(spec, None, blocked)], NeverBlock.load(), snap)
    return snap, str(meta["id"])


def start_ours(
    tmp: Path, port: int, stub: int, blocked: Path, workers: int
) -> subprocess.Popen[bytes]:
    state = tmp / "state"
    store = SnapshotStore(state)
    store.publish(*compile_list(store, blocked))
    conf = tmp / "gateway.toml"
    conf.write_text(
        f'[dns]\nlisten = ["127.0.0.1:{port}"]\nupstreams = ["127.0.0.1:{stub}"]\n'
        f'blocked_answer = "nxdomain"\nsafesearch = false\nrate_limit = 0\n'
        f'[blocklists]\nstate_dir = "{state}"\n'
    )
    code = (
        "from pathlib import Path; from gateway.config import load_config;"
        "from gateway.dns.service import run_dns_workers;"
        f"run_dns_workers(load_config(Path({str(conf)!r})), {workers})"
    )
    return subprocess.Popen([sys.executable, "-c", code], cwd=ROOT)


def rcode_of(port: int, name: str) -> str:
    import dns.message
    import dns.query
    import dns.rcode

    reply = dns.query.udp(dns.message.make_query(name, "A"), "127.0.0.1", port=port, timeout=2)
    return dns.rcode.to_text(reply.rcode())


def swap_during_run(
    tmp: Path, port: int, queries: Path, blocked: Path, rate: int
) -> dict[str, float]:
    """Publish a new snapshot while dnsperf runs at `rate`; its lost queries, and the pickup."""
    store = SnapshotStore(tmp / "state")
    newer = tmp / "blocked-newer.txt"
    newer.write_text(blocked.read_text(encoding="utf-8") + f"{SWAPPED_IN}\n", encoding="utf-8")
    compiled = compile_list(store, newer)  # compiled beforehand: the swap alone is measured
    before = rcode_of(port, SWAPPED_IN)
    seconds = int(REFRESH_SECONDS * 2 + 2)  # the resolver looks for a new snapshot this often
    with ThreadPoolExecutor(1) as pool:
        run = pool.submit(dnsperf, port, queries, seconds, rate)
        time.sleep(2)
        store.publish(*compiled)
        result = run.result()
    after = rcode_of(port, SWAPPED_IN)
    if (before, after) != ("NOERROR", "NXDOMAIN"):
        raise RuntimeError(f"the new snapshot was not picked up: {SWAPPED_IN} {before} -> {after}")
    print(f"swap: {result}", file=sys.stderr)
    return result


def measure_side_by_side(
    servers: dict[str, tuple[int, subprocess.Popen[bytes]]], queries: Path,
    args: argparse.Namespace,
) -> dict[str, dict[str, float]]:  # fmt: skip
    """Every phase, each server in turn, round after round; the median of each measure.

    Both servers run the whole time and take turns (the order rotating each round), so a
    slow minute of this shared VM falls on both instead of on whichever ran then.
    """
    runs: dict[str, list[dict[str, float]]] = {name: [] for name in servers}
    for port, _proc in servers.values():
        dnsperf(port, queries, args.seconds, in_flight=args.in_flight)  # warm the caches
    names = list(servers)
    for round_no in range(args.repeats):
        order = names[round_no % len(names) :] + names[: round_no % len(names)]
        for name in order:
            port = servers[name][0]
            run = dnsperf(port, queries, args.seconds, in_flight=args.in_flight)
            for rate in args.rates:
                paced = dnsperf(port, queries, args.seconds, rate, args.in_flight)
                run[f"p99_ms@{rate}"], run[f"avg_ms@{rate}"] = paced["p99_ms"], paced["avg_ms"]
                run[f"p50_ms@{rate}"] = paced["p50_ms"]
            runs[name].append(run)
            print(f"{name} round {round_no + 1}: {run}", file=sys.stderr)
    results = {}
    for name, (_port, proc) in servers.items():
        keys = runs[name][0].keys()
        results[name] = {k: statistics.median(run[k] for run in runs[name]) for k in keys}
        results[name]["rss_mb"] = tree_pss(proc.pid) / 2**20
    return results


def ratio(ours: float, anchor: float) -> str:
    return f"{ours / anchor:.2f}" if anchor else "-"


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--names", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=200_000)
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument(
        "--workers", type=int, default=1, help="our processes and unbound's threads (the same)"
    )
    parser.add_argument(
        "--rates", type=lambda text: [int(r) for r in text.split(",")], default=[20_000, 50_000],
        help="fixed query rates to measure latency at (comma-separated)",
    )  # fmt: skip
    parser.add_argument("--repeats", type=int, default=5, help="rounds of every phase (median)")
    parser.add_argument(
        "--in-flight", type=int, default=100,
        help="dnsperf's queries in flight; at 500 unbound drops queries flat out, and each lost "
        "query leaves the latency of the rest looking shorter",
    )  # fmt: skip
    args = parser.parse_args()
    for tool in ("dnsperf", "unbound", "dnsmasq"):
        if shutil.which(tool) is None:
            sys.exit(f"dns_bench: {tool} is missing: apt-get install dnsperf unbound dnsmasq-base")
    with tempfile.TemporaryDirectory(prefix="dns-bench-") as tmp_name:
        tmp = Path(tmp_name)
        blocked, listed = write_list(tmp, args.names, args.seed)
        queries = write_queries(tmp, listed, args.queries, args.seed)
        stub_port = free_port()
        stub = start_stub(stub_port)
        servers: dict[str, tuple[int, subprocess.Popen[bytes]]] = {}
        started: dict[str, float] = {}
        try:
            for name, starter in (
                ("unbound", lambda p: start_unbound(tmp, p, stub_port, listed, args.workers)),
                ("hotspot-gateway", lambda p: start_ours(tmp, p, stub_port, blocked, args.workers)),
            ):
                port = free_port()
                servers[name] = (port, starter(port))
                started[name] = wait_answering(port)
            time.sleep(0.5)  # workers still starting when the first answered
            results = measure_side_by_side(servers, queries, args)
            for name, seconds in started.items():
                results[name]["start_s"] = seconds
            ours_port = servers["hotspot-gateway"][0]
            swap = swap_during_run(tmp, ours_port, queries, blocked, min(args.rates))
        finally:
            for _port, proc in servers.values():
                stop(proc)
            stop(stub)
    ours, anchor = results["hotspot-gateway"], results["unbound"]
    print(f"\n{len(listed):,} blocked names; {args.queries:,} queries, {args.seconds} s each; "
          f"{args.workers} worker(s) / thread(s) each; {args.in_flight} queries in flight; "
          f"medians of {args.repeats} rounds, the servers taking turns\n")  # fmt: skip
    print("| measure | hotspot-gateway | unbound | ratio |\n|---|---:|---:|---:|")
    rows = [("qps", "queries per second, flat out"), ("avg_ms", "average latency flat out, ms"),
            ("p99_ms", "p99 latency flat out, ms"), ("lost", "queries lost flat out")]  # fmt: skip
    for rate in args.rates:
        rows += [(f"avg_ms@{rate}", f"average latency at {rate:,} q/s, ms"),
                 (f"p50_ms@{rate}", f"median latency at {rate:,} q/s, ms"),
                 (f"p99_ms@{rate}", f"p99 latency at {rate:,} q/s, ms")]  # fmt: skip
    rows += [("rss_mb", "memory (PSS), MiB"), ("start_s", "start-up, s")]
    for key, label in rows:
        print(
            f"| {label} | {ours[key]:,.3f} | {anchor[key]:,.3f} | {ratio(ours[key], anchor[key])} |"
        )
    print(f"\nSnapshot swapped during a {min(args.rates):,} q/s run: "
          f"{swap['lost']:,} of {swap['answered'] + swap['lost']:,} queries lost")  # fmt: skip


if __name__ == "__main__":
    main()
