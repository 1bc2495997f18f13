"""`blocklist update` and `rollback`: fetch every source, vet, compile, swap in atomically."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from filters.atomic import commit_file, temp_path
from filters.compiler import CompileInput, compile_snapshot
from filters.fetch import FetchError, FetchLimits, fetch_source
from filters.never_block import NeverBlock
from filters.progress import Progress
from filters.snapshot_file import SnapshotError, read_meta
from filters.sources import SourceSpec
from filters.staff import AuditEvent, AuditLog, utc_now
from filters.store import SnapshotStore, StoreError


@dataclass(frozen=True)
class UpdateSettings:
    """What an update needs from the config."""

    state_dir: Path
    sources: tuple[SourceSpec, ...]
    keep_snapshots: int = 3
    limits: FetchLimits = field(default_factory=FetchLimits)


@dataclass
class UpdateResult:
    """What an update did, source by source."""

    snapshot: Path | None
    meta: dict[str, Any]
    fetched: dict[str, str] = field(default_factory=dict)
    unchanged: bool = False

    @property
    def held(self) -> dict[str, str]:
        """Sources whose new copy was held back, with the reason."""
        return {s["name"]: s["held"] for s in self.meta.get("sources", []) if s.get("held")}

    @property
    def warnings(self) -> list[str]:
        """Sources that list must-never-block names (those entries have no effect)."""
        out = []
        for s in self.meta.get("sources", []):
            if s.get("never_block_conflicts") and not s.get("held"):
                examples = ", ".join(f"{e} (covers {n})" for e, n in s["never_block_examples"])
                out.append(
                    f"{s['name']}: {s['never_block_conflicts']} entries would block "
                    f"must-never-block names, which stay allowed, e.g. {examples}"
                )
        return out


def _spec_signature(sources: tuple[SourceSpec, ...], never_block: NeverBlock) -> list[Any]:
    protected = hashlib.sha256("\n".join(never_block.names).encode()).hexdigest()
    return [[s.name, s.url, s.category, s.format, s.action] for s in sources] + [protected]


def run_update(
    settings: UpdateSettings,
    never_block: NeverBlock,
    *,
    user: str,
    force: bool = False,
    progress: Progress | None = None,
) -> UpdateResult:
    """Fetch, vet and compile every source; publish the snapshot; record it in the audit log."""
    progress = progress or Progress(enabled=False)
    store = SnapshotStore(settings.state_dir)
    with store.update_lock():
        store.remove_leftovers()
        inputs, fetched = _fetch_all(store, settings, progress)
        current = store.current_path()
        signature = _spec_signature(settings.sources, never_block)
        if current is not None and not force and all(i.candidate is None for i in inputs):
            try:
                meta = read_meta(current)
                if meta.get("spec") == signature:
                    return UpdateResult(current, meta, fetched, unchanged=True)
            except (SnapshotError, OSError):
                pass  # a damaged or missing current snapshot: rebuild it below
        path, meta = compile_and_swap(
            store, inputs, never_block, force=force, progress=progress,
            extra_meta={"spec": signature}, keep_snapshots=settings.keep_snapshots,
        )  # fmt: skip
    held = [f"{s['name']} held" for s in meta["sources"] if s.get("held")]
    AuditLog(store.audit_path).append(
        AuditEvent(
            time=utc_now(),
            user=user,
            action="update",
            detail=f"snapshot {meta['id']}: {meta['keys']} names"
            + (f"; {', '.join(held)}" if held else ""),
        )
    )
    return UpdateResult(path, meta, fetched)


def compile_and_swap(
    store: SnapshotStore,
    inputs: list[CompileInput],
    never_block: NeverBlock,
    *,
    force: bool,
    progress: Progress,
    extra_meta: dict[str, Any],
    keep_snapshots: int,
) -> tuple[Path, dict[str, Any]]:
    """Compile beside the snapshot in force, keep the new copies used, swap; under the lock.

    Also the path of lists that come from a publisher's bundle (filters/bundles/receive.py).
    """
    tmp = store.new_snapshot_temp()
    try:
        meta = compile_snapshot(
            inputs, never_block, tmp, force=force, progress=progress, extra_meta=extra_meta
        )
        _promote_new_copies(store, inputs, meta)
        path = store.publish(tmp, meta["id"])
    finally:
        tmp.unlink(missing_ok=True)
        for inp in inputs:
            if inp.candidate is not None:
                inp.candidate.unlink(missing_ok=True)
    store.prune(keep_snapshots)
    return path, meta


def _fetch_all(
    store: SnapshotStore, settings: UpdateSettings, progress: Progress
) -> tuple[list[CompileInput], dict[str, str]]:
    inputs: list[CompileInput] = []
    fetched: dict[str, str] = {}
    for spec in settings.sources:
        last_good = store.source_copy(spec.name)
        cached = store.source_meta(spec.name) if last_good.exists() else {}
        progress.say(f"fetching {spec.name} ({spec.url})")
        dest = temp_path(store.sources_dir, spec.name)
        candidate: Path | None = None
        try:
            result = fetch_source(spec.url, dest, cached, settings.limits, progress)
        except FetchError as exc:
            fetched[spec.name] = f"failed: {exc}; keeping the last good copy"
            dest.unlink(missing_ok=True)
        else:
            if result.not_modified:
                fetched[spec.name] = "not modified"
                dest.unlink(missing_ok=True)
                store.save_source_meta(spec.name, {**cached, "checked": utc_now()})
            else:
                fetched[spec.name] = f"downloaded {result.size} bytes"
                candidate = dest
                store.save_source_meta(
                    f"{spec.name}.pending",
                    {"etag": result.etag, "last_modified": result.last_modified},
                )
        progress.say(f"  {spec.name}: {fetched[spec.name]}")
        inputs.append(
            CompileInput(
                spec=spec,
                candidate=candidate,
                last_good=last_good if last_good.exists() else None,
                previous_entries=cached.get("entries"),
            )
        )
    return inputs, fetched


def _promote_new_copies(
    store: SnapshotStore, inputs: list[CompileInput], meta: dict[str, Any]
) -> None:
    """New copies that the snapshot used become the last good copies."""
    for inp, outcome in zip(inputs, meta["sources"], strict=True):
        pending = store.sources_dir / f"{inp.spec.name}.pending.json"
        if outcome["used"] == "new" and inp.candidate is not None:
            validators = store.source_meta(f"{inp.spec.name}.pending")
            commit_file(inp.candidate, store.source_copy(inp.spec.name))
            store.save_source_meta(
                inp.spec.name,
                {
                    **validators,
                    "url": inp.spec.url,
                    "entries": outcome["entries"],
                    "sha256": outcome["sha256"],
                    "fetched": utc_now(),
                    "checked": utc_now(),
                },
            )
        pending.unlink(missing_ok=True)


def run_rollback(state_dir: Path, *, user: str) -> Path:
    """Put the previous snapshot back in force; raises StoreError if there is none."""
    store = SnapshotStore(state_dir)
    with store.update_lock():
        previous = store.previous()
        current = store.current_path()
        if previous is None:
            raise StoreError("no older snapshot to roll back to")
        store.point_at(previous)
    AuditLog(store.audit_path).append(
        AuditEvent(
            time=utc_now(),
            user=user,
            action="rollback",
            detail=f"from {current.stem if current else 'none'} to {previous.stem}",
        )
    )
    return previous
