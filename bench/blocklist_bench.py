"""Blocklist engine benchmark (issue #2): compile, load, memory, lookups and hot swap at scale.

    make bench                                              # N = 10,000,000 names
    .venv/bin/python bench/blocklist_bench.py --names 1000000    # a quick run

Data (see blocklist_data.py): the real lists in ../shared/data/blocklists, each compiled as its
own source, plus one generated source, built from real labels with a fixed seed, that brings the
total to N names. Generated names and queries are cached in bench/.data/ (gitignored).
Queries: 3-4 labels, about half blocked (listed names with `www.` or two labels in front), half
allowed (made-up names under common domains, siblings and near misses of listed names).

Every measurement runs in a fresh subprocess (this script with --child) so memory starts clean.
The anchor is a plain Python set of the same names probed suffix by suffix. Results are printed
as a Markdown table with ratios and the issue's targets; docs/benchmarks.md records a run.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from blocklist_data import DATA, LISTS, REAL_SOURCES, ROOT, build_queries, generate, real_names

from filters.compiler import CompileInput, compile_snapshot
from filters.engine import BlocklistEngine
from filters.never_block import NeverBlock
from filters.snapshot import Snapshot
from filters.sources import SourceSpec
from filters.store import SnapshotStore

STATUS_KEYS = ("VmRSS", "VmHWM", "RssAnon", "RssFile")
MB = 1 << 20


# Measuring (these run in child processes) ----------------------------------------------------


def proc_status() -> dict[str, int]:
    """Resident memory figures of this process, in bytes."""
    out = {}
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            key, _, value = line.partition(":")
            if key in STATUS_KEYS:
                out[key] = int(value.split()[0]) * 1024
    return out


def evict(path: Path) -> None:
    """Drop one file's pages from the page cache, so a load is measured cold."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    finally:
        os.close(fd)


def best_rate(fn: Any, queries: list[str], passes: int) -> float:
    """Calls per second of `fn` over the queries, best of `passes`."""
    best = float("inf")
    for _ in range(passes):
        start = time.perf_counter()
        for name in queries:
            fn(name)
        best = min(best, time.perf_counter() - start)
    return len(queries) / best


def child_compile(p: dict[str, Any]) -> dict[str, Any]:
    """Compile the real lists and the generated file, each its own source, into a fresh store."""
    shutil.rmtree(p["state"], ignore_errors=True)
    store = SnapshotStore(Path(p["state"]))
    files = [(n, Path(p["lists"]) / f, c, a) for n, f, c, a in REAL_SOURCES]
    files.append(("generated", Path(p["generated"]), "porn", "block"))
    inputs = [
        CompileInput(SourceSpec(n, f"file://{f}", c, action=a), candidate=None, last_good=f)
        for n, f, c, a in files
    ]
    never_block = NeverBlock.load()
    tmp = store.new_snapshot_temp()
    start = time.perf_counter()
    meta = compile_snapshot(inputs, never_block, tmp)
    seconds = time.perf_counter() - start
    final = store.publish(tmp, meta["id"])
    return {
        "seconds": seconds,
        "peak": proc_status()["VmHWM"],
        "keys": meta["keys"],
        "bytes": final.stat().st_size,
        "rejected": sum(sum(s["rejected"].values()) for s in meta["sources"]),
        "held": sum(s["never_block_conflicts"] for s in meta["sources"]),
    }


def match_rate(snapshot: Snapshot | None, queries: list[str], passes: int) -> float:
    """`snapshot.match(name)` per second: the engine without its overlay."""
    assert snapshot is not None
    return best_rate(snapshot.match, queries, passes)


def child_engine(p: dict[str, Any]) -> dict[str, Any]:
    """Load times, resident memory, lookup rates and (optionally) a hot swap under load."""
    queries = Path(p["queries"]).read_text(encoding="utf-8").split()
    state = Path(p["state"])
    path = SnapshotStore(state).current_path()
    assert path is not None
    evict(path)
    start = time.perf_counter()
    Snapshot(path)  # dropped at once: only its load time counts
    snap_load = time.perf_counter() - start
    gc.collect()
    evict(path)
    before = proc_status()
    start = time.perf_counter()
    engine = BlocklistEngine(state)
    out: dict[str, Any] = {"snap_load": snap_load, "engine_load": time.perf_counter() - start}
    out["loaded"] = proc_status()
    lookup = engine.lookup
    blocked = [name for name in queries if lookup(name).blocked]
    allowed = [name for name in queries if not lookup(name).blocked]
    out["blocked"] = len(blocked) / len(queries)
    out["rate"] = best_rate(lookup, queries, p["passes"])
    out["match_rate"] = match_rate(engine.snapshot, queries, p["passes"])
    out["rate_blocked"] = best_rate(lookup, blocked, p["passes"])
    out["rate_allowed"] = best_rate(lookup, allowed, p["passes"])
    del blocked, allowed
    gc.collect()
    out["before"], out["after"] = before, proc_status()
    if p["swap"]:
        out["swap"] = measure_swap(engine, queries, before)
    return out


def mapped_snapshots() -> int:
    """How many snapshot files this process has mapped."""
    with open("/proc/self/maps", encoding="utf-8") as fh:
        return len({line.split()[-1] for line in fh if line.rstrip().endswith(".snap")})


def measure_swap(engine: BlocklistEngine, queries: list[str], base: dict[str, int]) -> dict:
    """Publish a second snapshot and refresh() while a thread keeps looking names up."""
    store = engine.store
    current = store.current_path()
    assert current is not None
    tally = {"errors": 0, "lookups": 0, "passes": 0}
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            for name in queries:
                try:
                    engine.lookup(name)
                except Exception:
                    tally["errors"] += 1
            tally["lookups"] += len(queries)
            tally["passes"] += 1

    worker = threading.Thread(target=serve)
    worker.start()
    time.sleep(1.0)
    before = proc_status()
    tmp = store.new_snapshot_temp()
    shutil.copyfile(current, tmp)  # as big as the live one: the worst case for memory
    store.publish(tmp, f"{current.stem}-swap")
    with open("/proc/self/clear_refs", "w", encoding="ascii") as fh:
        fh.write("5")  # reset VmHWM, so it shows the peak from here on
    start = time.perf_counter()
    engine.refresh()
    refresh = time.perf_counter() - start
    swapped_at = tally["passes"]
    while tally["passes"] < swapped_at + 2:  # at least one full pass on the new snapshot
        time.sleep(0.05)
    stop.set()
    worker.join()
    after = proc_status()
    return {
        "errors": tally["errors"],
        "lookups": tally["lookups"],
        "refresh": refresh,
        "swapped": engine.snapshot is not None and engine.snapshot.path != current,
        "before": before["VmRSS"] - base["VmRSS"],
        "peak": after["VmHWM"] - base["VmRSS"],
        "after": after["VmRSS"] - base["VmRSS"],
        "mapped": mapped_snapshots(),
    }


def child_set(p: dict[str, Any]) -> dict[str, Any]:
    """The anchor: a Python set of the same names, probed with the name then each parent."""
    queries = Path(p["queries"]).read_text(encoding="utf-8").split()
    before = proc_status()
    names = real_names(Path(p["lists"]))
    with open(p["generated"], encoding="utf-8") as fh:
        names.update(line.rstrip("\n") for line in fh)
    gc.collect()
    after = proc_status()

    def listed(name: str) -> bool:
        name = name.lower()
        while True:
            if name in names:
                return True
            dot = name.find(".")
            if dot < 0:
                return False
            name = name[dot + 1 :]

    rate = best_rate(listed, queries, p["passes"])
    hits = sum(map(listed, queries)) / len(queries)
    return {"before": before, "after": after, "rate": rate, "keys": len(names), "hits": hits}


CHILDREN = {"compile": child_compile, "engine": child_engine, "set": child_set}


def run_child(role: str, params: dict[str, Any]) -> dict[str, Any]:
    """Run one measurement in a fresh interpreter, which prints its result as JSON last."""
    print(f"[{time.strftime('%H:%M:%S')}] {role} ...", file=sys.stderr, flush=True)
    cmd = [sys.executable, __file__, "--child", role, json.dumps(params)]
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode:
        sys.exit(f"{role} failed:\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


# Report --------------------------------------------------------------------------------------


def table(header: str, rows: list[tuple[str, ...]]) -> None:
    """Print one Markdown table."""
    print(f"\n| {header} |\n|{'---|' * (header.count('|') + 1)}")
    for row in rows:
        print(f"| {' | '.join(row)} |")


def per_name(run: dict[str, Any], keys: int) -> float:
    """Resident bytes per listed name: RSS growth from before loading to after lookups."""
    return float(run["after"]["VmRSS"] - run["before"]["VmRSS"]) / keys


def check(ok: bool) -> str:
    return "pass" if ok else "**fail**"


def code_version() -> str:
    """The commit measured, flagged when filters/ has uncommitted changes."""

    def git(*argv: str) -> str:
        done = subprocess.run(["git", "-C", str(ROOT), *argv], capture_output=True, text=True)
        return done.stdout.strip()

    dirty = " + uncommitted filters/" if git("status", "--porcelain", "filters") else ""
    return git("rev-parse", "--short", "HEAD") + dirty


def report(comp: dict, eng: dict, anchor: dict, args: Any) -> None:
    """The figures as Markdown: engine against the set, then the targets."""
    n, sw, queries = comp["keys"], eng["swap"], args.queries
    print(f"\ncode: {args.version}; {args.names:,} names asked (--names), seed {args.seed}")
    mem, set_mem = per_name(eng, n), per_name(anchor, anchor["keys"])
    grow = {k: (eng["after"][k] - eng["before"][k]) / MB for k in STATUS_KEYS}
    print(
        f"\n{n:,} names in the snapshot ({comp['rejected']} lines rejected, {comp['held']} "
        f"held by never-block), {anchor['keys']:,} in the set; {queries:,} queries: "
        f"{eng['blocked']:.1%} blocked by the engine, {anchor['hits']:.1%} with a listed "
        "suffix in the set (which also holds the allow-list names)"
    )
    rate, match, set_rate = eng["rate"], eng["match_rate"], anchor["rate"]
    table(
        "measure | engine (mmap'd table) | Python set | engine / set",
        [
            ("resident bytes per name", f"{mem:.1f}", f"{set_mem:.1f}", f"{mem / set_mem:.3f}"),
            ("`engine.lookup(name)` per s", f"{rate:,.0f}", f"{set_rate:,.0f}",
             f"{rate / set_rate:.2f}"),
            ("`snapshot.match(name)` per s", f"{match:,.0f}", f"{set_rate:,.0f}",
             f"{match / set_rate:.2f}"),
        ],
    )  # fmt: skip
    loaded = (eng["loaded"]["VmRSS"] - eng["before"]["VmRSS"]) / MB
    table(
        "measure | value | target | result",
        [
            ("compile wall time", f"{comp['seconds']:.1f} s", "<= 60 s",
             check(comp["seconds"] <= 60)),
            ("compile peak RSS (VmHWM)", f"{comp['peak'] / MB:,.0f} MiB", "", ""),
            ("snapshot file", f"{comp['bytes'] / MB:,.1f} MiB, {comp['bytes'] / n:.1f} B/name",
             "", ""),
            ("`Snapshot(path)` load, cold cache", f"{eng['snap_load'] * 1e3:.1f} ms", "<= 1 s",
             check(eng["snap_load"] <= 1)),
            ("`BlocklistEngine(state_dir)` load, cold", f"{eng['engine_load'] * 1e3:.1f} ms",
             "<= 1 s", check(eng["engine_load"] <= 1)),
            ("RSS growth: after load", f"{loaded:.1f} MiB", "", ""),
            ("RSS growth: after lookups (anon + file)",
             f"{grow['VmRSS']:.1f} MiB ({grow['RssAnon']:.1f} + {grow['RssFile']:.1f})", "", ""),
            ("resident bytes per name", f"{mem:.1f}", "<= 16", check(mem <= 16)),
            ("`engine.lookup` per s, one thread", f"{rate:,.0f}", ">= 1,000,000",
             check(rate >= 1e6)),
            ("... blocked names only / allowed only",
             f"{eng['rate_blocked']:,.0f} / {eng['rate_allowed']:,.0f}", "", ""),
            ("swap: lookups that raised", f"{sw['errors']} of {sw['lookups']:,}", "0",
             check(sw["errors"] == 0 and sw["swapped"])),
            ("swap: `refresh()` time", f"{sw['refresh'] * 1e3:.1f} ms", "", ""),
            ("swap: RSS growth before / peak / after",
             f"{sw['before'] / MB:.0f} / {sw['peak'] / MB:.0f} / {sw['after'] / MB:.0f} MiB",
             "peak < 1.5 x before", check(sw["peak"] < 1.5 * sw["before"])),
            ("swap: snapshot files mapped after", str(sw["mapped"]), "1",
             check(sw["mapped"] == 1)),
        ],
    )  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--names", type=int, default=10_000_000, help="total listed names")
    parser.add_argument("--queries", type=int, default=500_000, help="lookup names per pass")
    parser.add_argument("--passes", type=int, default=3, help="lookup passes (best counts)")
    parser.add_argument("--seed", type=int, default=2, help="seed for generated names")
    parser.add_argument("--lists", type=Path, default=LISTS, help="the real lists")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(CHILDREN[args.child[0]](json.loads(args.child[1]))))
        return
    started, args.version = time.monotonic(), code_version()
    gen, gen_count, shapes = generate(args.names, args.seed, args.lists)
    queries = build_queries(gen, gen_count, shapes, args.queries, args.seed)
    del shapes
    base = {"lists": str(args.lists), "generated": str(gen), "queries": str(queries)}
    base["passes"] = args.passes
    state = DATA / f"state-{gen.stem}"
    comp = run_child("compile", {**base, "state": str(state)})
    eng = run_child("engine", {**base, "state": str(state), "swap": True})
    anchor = run_child("set", base)
    if code_version() != args.version:
        args.version += f", then {code_version()} before the run ended: figures mix versions"
    report(comp, eng, anchor, args)
    print(f"\nwhole run: {time.monotonic() - started:.0f} s", file=sys.stderr)


if __name__ == "__main__":
    main()
