"""Compile list sources into one immutable snapshot file (see snapshot_file for the layout).

Sources are parsed once each into a spool of normalised keys on disk rather than into Python
objects. A marisa trie built from the spools dedupes and numbers the keys, attribution.py works
out which source and flags win for every key, and the keys with their attributions go into the
SuffixTable that the snapshot file holds. Peak memory is the trie builder's (about 1 GiB for 10
million names) plus a dict of the keys of every source but the largest.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

import marisa_trie

from filters.attribution import attribute_keys, read_spool
from filters.names import name_key
from filters.never_block import NeverBlock
from filters.parsers import EXCEPTION, ParseReport, file_format, parse_file
from filters.parsers.base import ADDRESS, NOT_A_NAME
from filters.progress import Progress
from filters.snapshot_file import write_snapshot
from filters.sources import SourceSpec
from filters.suffix_table import build_table

# The trie only dedupes and numbers keys while compiling; one trie builds fastest.
TRIE_OPTIONS = {"num_tries": 1}
MAX_CONFLICT_EXAMPLES = 5


@dataclass(frozen=True)
class CompileInput:
    """A source to compile: a new download to vet, and the last good copy to fall back on."""

    spec: SourceSpec
    candidate: Path | None
    last_good: Path | None = None
    previous_entries: int | None = None


@dataclass
class SourceOutcome:
    """What compiling one source did: which copy it used and why, and its counts."""

    spec: SourceSpec
    used: str = "none"  # new | last-good | none
    format: str = "domains"
    report: ParseReport = field(default_factory=ParseReport)
    held: str | None = None
    protected: list[tuple[str, str]] = field(default_factory=list)
    protected_total: int = 0
    shielded_total: int = 0
    sha256: str | None = None
    flag_counts: dict[int, int] = field(default_factory=dict)
    # Address and page entries: few, kept in the metadata rather than the name table.
    others: list[tuple[str, int]] = field(default_factory=list)

    @property
    def usual_flags(self) -> int:
        """The flags most of this source's entries carry."""
        return max(self.flag_counts, key=self.flag_counts.__getitem__, default=0)

    def to_json(self) -> dict[str, Any]:
        """Metadata for the snapshot and `blocklist stats`."""
        return {
            "name": self.spec.name,
            "url": self.spec.url,
            "category": self.spec.category,
            "action": self.spec.action,
            "format": self.format,
            "used": self.used,
            "held": self.held,
            "sha256": self.sha256,
            "never_block_conflicts": self.protected_total,
            "never_block_examples": [list(p) for p in self.protected],
            "shielded_by_never_block": self.shielded_total,
            **self.report.to_json(),
        }


class SourceHeld(Exception):
    """A new copy of a source failed a guard; the last good copy is used instead."""


def file_sha256(path: Path) -> str:
    """The SHA-256 of a file, hex."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _spool_copy(
    inp: CompileInput, path: Path, vet: bool, never_block: NeverBlock, spool: IO[str],
    progress: Progress,
) -> SourceOutcome:  # fmt: skip
    """Parse one copy of a source into the spool, checking guards as it goes when `vet`."""
    spec = inp.spec
    outcome = SourceOutcome(spec=spec, format=file_format(path, spec.format))
    extra = EXCEPTION if spec.action == "allow" else 0
    start = spool.tell()
    write = spool.write
    flag_counts = outcome.flag_counts
    bar = progress.counter(f"parse {spec.name}", unit=" names")
    for count, (name, flags, _line) in enumerate(
        parse_file(path, outcome.format, outcome.report, extra), start=1
    ):
        if flags & NOT_A_NAME:
            outcome.others.append((name, flags))
            continue
        key = name_key(name)
        if not flags & EXCEPTION:
            hit = never_block.protected_by(key)
            if hit is not None:
                outcome.protected_total += 1
                if len(outcome.protected) < MAX_CONFLICT_EXAMPLES:
                    outcome.protected.append((name, hit))
                if vet:
                    spool.seek(start)
                    spool.truncate()
                    bar.close()
                    raise SourceHeld(f"would block must-never-block name {hit} (entry {name})")
                # Kept when accepted: it still blocks the rest of its subtree, and the
                # never-block layer shields the protected names at lookup time.
            elif never_block.shields(key):
                outcome.shielded_total += 1
        write(f"{key}\t{flags}\n")
        flag_counts[flags] = flag_counts.get(flags, 0) + 1
        if not count & 0xFFFF:
            bar.update(0x10000)
    bar.close()
    prev = inp.previous_entries
    if vet and prev and outcome.report.entries * 2 < prev:
        spool.seek(start)
        spool.truncate()
        raise SourceHeld(f"shrank from {prev} to {outcome.report.entries} entries")
    outcome.sha256 = file_sha256(path)
    return outcome


def spool_source(
    inp: CompileInput, never_block: NeverBlock, spool: IO[str], force: bool, progress: Progress
) -> SourceOutcome:
    """Use the new copy if it passes the guards (or `force`), else the last good one."""
    held = None
    if inp.candidate is not None:
        try:
            outcome = _spool_copy(inp, inp.candidate, not force, never_block, spool, progress)
            outcome.used = "new"
            return outcome
        except SourceHeld as exc:
            held = str(exc)
            progress.say(f"{inp.spec.name}: held back: {held}; keeping the last good copy")
    if inp.last_good is not None and inp.last_good.exists():
        outcome = _spool_copy(inp, inp.last_good, False, never_block, spool, progress)
        outcome.used = "last-good"
    else:
        outcome = SourceOutcome(spec=inp.spec)
    outcome.held = held
    return outcome


def _spool_keys(paths: list[Path]) -> Iterator[str]:
    for path in paths:
        for key, _flags in read_spool(path):
            yield key


def _other_entries(outcomes: list[SourceOutcome]) -> dict[str, list[list[Any]]]:
    """The address and page entries of every source, as [entry, source index, flags]."""
    found: dict[str, list[list[Any]]] = {"addresses": [], "pages": []}
    for index, outcome in enumerate(outcomes):
        for entry, flags in outcome.others:
            found["addresses" if flags & ADDRESS else "pages"].append([entry, index, flags])
    return found


def compile_snapshot(
    inputs: list[CompileInput],
    never_block: NeverBlock,
    out_path: Path,
    *,
    force: bool = False,
    progress: Progress | None = None,
    snapshot_id: str | None = None,
    extra_meta: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Compile sources (in priority order) into `out_path`; returns the snapshot metadata."""
    progress = progress or Progress(enabled=False)
    started = time.monotonic()
    spool_dir = out_path.parent
    spools: list[Path] = []
    outcomes: list[SourceOutcome] = []
    try:
        for inp in inputs:
            spool_path = spool_dir / f".spool-{os.getpid()}-{len(spools)}.tmp"
            spools.append(spool_path)
            with spool_path.open("w", encoding="utf-8") as spool:
                outcomes.append(spool_source(inp, never_block, spool, force, progress))
        progress.say("building the name index")
        trie = marisa_trie.Trie(_spool_keys(spools), **TRIE_OPTIONS)
        records, attr_list, pairs = attribute_keys(
            trie,
            spools,
            [o.report.entries if o.used != "none" else 0 for o in outcomes],
            [o.usual_flags for o in outcomes],
            progress,
        )
        progress.say("building the lookup table")
        table, values = build_table(
            ((key, records[key_id]) for key, key_id in trie.iteritems()), len(trie)
        )
        n_keys = len(trie)
        del trie, records  # the table is all a snapshot needs; free the builder's memory
    finally:
        for spool_path in spools:
            spool_path.unlink(missing_ok=True)
    created = datetime.now(UTC)
    meta: dict[str, Any] = {
        "id": snapshot_id or created.strftime("%Y%m%dT%H%M%S%fZ"),
        "created": created.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "keys": n_keys,
        "sources": [o.to_json() for o in outcomes],
        "attrs": [list(a) for a in attr_list],
        "pairs": [list(p) for p in pairs],
        "never_block": len(never_block.names),
        **_other_entries(outcomes),
        **(extra_meta or {}),
    }
    progress.say(f"writing snapshot ({n_keys} names)")
    with out_path.open("wb") as fh:
        meta["compile_seconds"] = round(time.monotonic() - started, 2)
        write_snapshot(fh, n_keys, table, values, meta)
        fh.flush()
        os.fsync(fh.fileno())
    return meta
