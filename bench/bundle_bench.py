"""Fleet bundle sizes: a full bundle and a day's delta, for N names (issue #7).

The list is the real TrustPositif and judi samples plus generated names in their shape
(bench/blocklist_data.py) up to N; a "day" removes and adds a fraction of the names at random
places, as TrustPositif's daily changes do. It measures what a gateway downloads (xz, as
`filters/bundles/pack.py` compresses) and how long the publisher's delta and the gateway's
apply take, with peak memory. No network: everything stays in this process.

    .venv/bin/python bench/bundle_bench.py --names 10000000 --change 0.005
"""

from __future__ import annotations

import argparse
import io
import lzma
import random
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.blocklist_data import LISTS, generate, plain_names, real_names  # noqa: E402
from filters.bundles.delta import apply_delta, make_delta  # noqa: E402
from filters.bundles.pack import XZ_PRESET  # noqa: E402

SAMPLES = ("trustpositif-domains-sample.txt", "judi-indonesia-sample.txt")


def day_later(names: list[str], change: float, rng: random.Random) -> list[str]:
    """The list a day later: `change` of the names removed, as many new ones added."""
    count = int(len(names) * change)
    removed = set(rng.sample(range(len(names)), count))
    kept = [n for i, n in enumerate(names) if i not in removed]
    for n in range(count):
        kept.insert(rng.randrange(len(kept) + 1), f"baru-{n}-{rng.randrange(10**9)}.judi.example")
    return kept


def xz(data: bytes) -> int:
    """Compressed size as the bundles compress."""
    return len(lzma.compress(data, format=lzma.FORMAT_XZ, preset=XZ_PRESET))


def main() -> None:
    """Build the list, a day's change, and measure."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--names", type=int, default=1_000_000)
    parser.add_argument("--change", type=float, default=0.005)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    names = [n for f in SAMPLES for n in plain_names(LISTS / f)]
    if args.names > len(names):
        # generate() counts every shared list as real; ask for enough generated names on top.
        path, _, _ = generate(args.names + len(real_names(LISTS)), args.seed, LISTS)
        names += path.read_text(encoding="utf-8").split()[: args.names - len(names)]
    names = names[: args.names]
    rng = random.Random(args.seed)
    old = ("\n".join(names) + "\n").encode()
    new = ("\n".join(day_later(names, args.change, rng)) + "\n").encode()
    started = time.perf_counter()
    full = xz(new)
    compress_s = time.perf_counter() - started
    started = time.perf_counter()
    script = make_delta(old, new)
    delta_s = time.perf_counter() - started
    delta = xz(script)
    started = time.perf_counter()
    rebuilt = io.BytesIO()
    apply_delta(old, script, rebuilt)
    apply_s = time.perf_counter() - started
    assert rebuilt.getvalue() == new, "the delta did not rebuild the list"
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\n{len(names):,} names, {args.change:.1%} changed, xz preset {XZ_PRESET}\n")
    print("| measure | result |\n|---|---:|")
    print(f"| list, raw | {len(new) / 1e6:,.1f} MB |")
    print(f"| full bundle part (xz) | {full / 1e6:,.2f} MB ({full / len(names):.1f} B/name) |")
    print(f"| a day's delta (xz) | {delta / 1e3:,.1f} KB ({delta / full:.2%} of the full) |")
    print(f"| compress the full list | {compress_s:.1f} s |")
    print(f"| make the delta (publisher) | {delta_s:.2f} s |")
    print(f"| apply the delta (gateway) | {apply_s:.2f} s |")
    print(f"| peak memory of this process | {peak:,.0f} MiB |")


if __name__ == "__main__":
    main()
