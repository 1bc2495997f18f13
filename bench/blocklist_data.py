"""The blocklist benchmark's data: the real lists, generated names in their shape, the queries.

Generated names recombine real labels with a fixed seed: a real leftmost label plus digits under
a real parent domain, or a new second-level label spliced from two real ones under a real TLD,
so length (about 23 characters), label count and TLD mix stay those of the TrustPositif sample.
Files are written to bench/.data/ (gitignored), keyed by N and seed, and reused.
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

from filters.parsers import ParseReport, parse_file

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "bench" / ".data"
LISTS = ROOT.parent / "shared" / "data" / "blocklists"
# (source name, file, category, action), in priority order.
REAL_SOURCES = [
    ("trustpositif-allow", "trustpositif-community-allowlist.txt", "porn", "allow"),
    ("trustpositif", "trustpositif-domains-sample.txt", "porn", "block"),
    ("judi-indonesia", "judi-indonesia-sample.txt", "gambling", "block"),
    ("hagezi-nsfw", "hagezi-nsfw-domains.txt", "porn", "block"),
    ("hagezi-doh", "hagezi-doh-domains.txt", "dns-bypass", "block"),
    ("hagezi-light", "hagezi-light-multi.rpz", "malware", "block"),
    ("drugs-hosts", "blocklistproject-drugs.hosts", "drugs", "block"),
    ("drugs-adblock", "blocklistproject-drugs.adblock", "drugs", "block"),
    ("drugs-dnsmasq", "blocklistproject-drugs.dnsmasq", "drugs", "block"),
]
# Plain lists whose labels shape the generated names.
SHAPE_FILES = [
    "trustpositif-domains-sample.txt",
    "judi-indonesia-sample.txt",
    "hagezi-nsfw-domains.txt",
]
# Made-up allowed queries go under these (what phones on a hotspot mostly ask for).
COMMON = (  # noqa: SIM905
    "google.com googleapis.com gstatic.com googlevideo.com youtube.com facebook.com fbcdn.net "
    "instagram.com whatsapp.net tiktokv.com akamaized.net cloudfront.net amazonaws.com "
    "microsoft.com apple.com icloud.com tokopedia.com shopee.co.id detik.com kompas.com "
    "gojek.com grab.com twitter.com netflix.com spotify.com samsung.com xiaomi.com"
).split()


def plain_names(path: Path) -> list[str]:
    """The names of a plain domains file (comments and blank lines skipped)."""
    with path.open(encoding="utf-8") as fh:
        return [n for n in (line.strip().lower() for line in fh) if n and n[0] != "#"]


def real_names(lists: Path) -> set[str]:
    """Every name the real sources list, parsed as the compiler parses them."""
    names: set[str] = set()
    for _name, file, _category, _action in REAL_SOURCES:
        names.update(n for n, _flags, _line in parse_file(lists / file, "auto", ParseReport()))
    return names


class Shapes:
    """Label pools from the real lists that generated names and queries are built from."""

    def __init__(self, lists: Path) -> None:
        self.listed = sorted({n for f in SHAPE_FILES for n in plain_names(lists / f)})
        lefts, parents, slds = set(), set(), set()
        self.tlds: list[str] = []  # with repeats, so the TLD mix stays the real one
        for name in self.listed:
            labels = name.split(".")
            slds.add(labels[-2])
            if len(labels) == 2:
                self.tlds.append(labels[1])
            else:
                lefts.add(labels[0])
                parents.add(".".join(labels[1:]))
        self.lefts, self.parents, self.slds = sorted(lefts), sorted(parents), sorted(slds)

    def new_sld(self, rng: random.Random) -> str:
        """A second-level label spliced from two real ones, sometimes with digits."""
        a, b = rng.choice(self.slds), rng.choice(self.slds)
        label = a[: rng.randint(1, len(a))] + b[rng.randrange(len(b)) :]
        if rng.random() < 0.3:
            label += str(rng.randrange(1000))
        return label[:63]

    def generated_name(self, rng: random.Random) -> str:
        """One name in the shape of the real lists (about half two labels, half three)."""
        roll = rng.random()
        if roll < 0.40:
            digits = str(rng.randrange(10 ** rng.randint(1, 4)))
            left = rng.choice(self.lefts)[: 63 - len(digits)]  # a label holds 63 bytes
            return f"{left}{digits}.{rng.choice(self.parents)}"
        if roll < 0.47:
            return f"{rng.choice(self.lefts)}.{self.new_sld(rng)}.{rng.choice(self.tlds)}"
        return f"{self.new_sld(rng)}.{rng.choice(self.tlds)}"


def generate(total: int, seed: int, lists: Path) -> tuple[Path, int, Shapes]:
    """The generated source file for N names (built once per N and seed, then reused)."""
    shapes = Shapes(lists)
    path = DATA / f"generated-n{total}-s{seed}.txt"
    if path.exists():
        with path.open("rb") as fh:
            return path, sum(1 for _ in fh), shapes
    DATA.mkdir(parents=True, exist_ok=True)
    seen = real_names(lists)
    want = max(0, total - len(seen))
    print(f"generating {want:,} names into {path}", file=sys.stderr, flush=True)
    rng = random.Random(seed)
    tmp = path.with_suffix(".tmp")
    with tmp.open("w", encoding="utf-8") as fh:
        made = 0
        while made < want:
            name = shapes.generated_name(rng)
            if name not in seen and len(name) <= 253:
                seen.add(name)
                fh.write(name + "\n")
                made += 1
    tmp.replace(path)
    return path, want, shapes


def build_queries(gen: Path, gen_count: int, shapes: Shapes, count: int, seed: int) -> Path:
    """About half blocked (listed names under www. or two more labels), half allowed."""
    path = DATA / f"queries-{gen.stem}-q{count}.txt"
    if path.exists():
        return path
    rng = random.Random(seed + 1)
    n_real = len(shapes.listed)
    picks = sorted(rng.sample(range(n_real + gen_count), count + count // 50))
    listed = [shapes.listed[i] for i in picks if i < n_real]
    wanted = {i - n_real for i in picks if i >= n_real}
    with gen.open(encoding="utf-8") as fh:
        listed += [line.rstrip("\n") for i, line in enumerate(fh) if i in wanted]
    rng.shuffle(listed)
    queries = []
    for i, name in enumerate(listed):
        labels = name.split(".")
        if len(labels) > 3:
            continue
        if i % 2 == 0:  # blocked: the listed name with one or two labels in front
            extra = "www." if len(labels) == 3 or i % 4 == 0 else f"{rng.choice(shapes.lefts)}.m."
            queries.append(extra + name)
        elif i % 4 == 1:  # allowed: a made-up name under a common domain
            queries.append(f"{rng.choice(shapes.lefts)}{rng.randrange(100)}.{rng.choice(COMMON)}")
        elif len(labels) == 3:  # allowed: a sibling of a listed name
            queries.append(f"www.{rng.choice(shapes.lefts)}.{labels[1]}.{labels[2]}")
        else:  # allowed: a near miss of a listed second-level name
            queries.append(f"www.{labels[0]}{rng.randrange(10)}.{labels[1]}")
    path.write_text("\n".join(queries[:count]) + "\n", encoding="utf-8")
    return path
