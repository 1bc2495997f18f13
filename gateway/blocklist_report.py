"""Text and JSON reports for `blocklist stats` and `blocklist audit`."""

from __future__ import annotations

import json
import shlex
from datetime import UTC, datetime
from typing import Any

from filters.snapshot_file import SnapshotError, read_meta
from filters.staff import AuditLog, staff_entries
from filters.store import SnapshotStore
from gateway.errors import CommandFailed


def _age(stamp: str | None, now: datetime) -> str:
    """A short human age ("3h", "2d") of an ISO UTC time stamp."""
    if not stamp:
        return "-"
    try:
        then = datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    except ValueError:
        return "?"
    seconds = max(0, int((now - then).total_seconds()))
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def stats_data(store: SnapshotStore) -> dict[str, Any]:
    """Everything `stats` shows, as one JSON-ready dict."""
    current = store.current_path()
    snapshot: dict[str, Any] | None = None
    sources: list[dict[str, Any]] = []
    if current is not None:
        try:
            meta = read_meta(current)
        except (SnapshotError, OSError) as exc:
            raise CommandFailed(f"cannot read the current snapshot: {exc}") from None
        snapshot = {
            "id": meta["id"],
            "created": meta["created"],
            "names": meta["keys"],
            "addresses": len(meta.get("addresses", [])),
            "pages": len(meta.get("pages", [])),
            "bytes": current.stat().st_size,
            "compile_seconds": meta.get("compile_seconds"),
        }
        for source in meta["sources"]:
            fetch = store.source_meta(source["name"])
            sources.append(
                {**source, "fetched": fetch.get("fetched"), "checked": fetch.get("checked")}
            )
    staff = staff_entries(AuditLog(store.audit_path).events())
    return {
        "snapshot": snapshot,
        "sources": sources,
        "staff": {
            "block": sum(1 for e in staff.values() if e.action == "add"),
            "allow": sum(1 for e in staff.values() if e.action == "allow"),
        },
        "snapshots_kept": [p.stem for p in store.snapshots()],
    }


def print_stats(store: SnapshotStore, as_json: bool) -> None:
    """Print per-source counts, rejects by reason with examples, and ages."""
    data = stats_data(store)
    if as_json:
        print(json.dumps(data, indent=1))
        return
    now = datetime.now(UTC)
    snap = data["snapshot"]
    if snap is None:
        print("no snapshot yet: run `hotspot-gateway blocklist update`")
    else:
        print(
            f"snapshot {snap['id']}: {snap['names']} names, {snap['addresses']} addresses, "
            f"{snap['pages']} pages, {snap['bytes'] / 1e6:.1f} MB, "
            f"created {snap['created']} ({_age(snap['created'], now)} ago)"
        )
        header = f"{'source':<24} {'category':<11} {'entries':>9} {'rejected':>8}  {'used':<9}"
        print(header + " last update            age")
        for s in data["sources"]:
            rejected = sum(s["rejected"].values())
            print(
                f"{s['name']:<24} {s['category']:<11} {s['entries']:>9} {rejected:>8}  "
                f"{s['used']:<9} {s['fetched'] or '-':<22} {_age(s['fetched'], now)}"
            )
            for reason, count in sorted(s["rejected"].items(), key=lambda kv: -kv[1]):
                examples = "; ".join(f"line {n}: {t}" for n, t in s["examples"].get(reason, []))
                print(f"    rejected {count} {reason}: {examples}")
            if s.get("held"):
                print(f"    held back: {s['held']}")
            if s.get("never_block_conflicts"):
                print(
                    f"    {s['never_block_conflicts']} entries would block must-never-block "
                    "names (those names stay allowed)"
                )
            if s.get("shielded_by_never_block"):
                print(f"    {s['shielded_by_never_block']} entries under must-never-block names")
    staff = data["staff"]
    print(f"staff entries: {staff['block']} blocked, {staff['allow']} allowed")
    print(f"snapshots kept for rollback: {', '.join(data['snapshots_kept']) or 'none'}")


def print_audit(audit: AuditLog, limit: int, as_json: bool) -> None:
    """Print the newest `limit` audit events (all when 0), oldest first."""
    events = audit.events()
    if limit:
        events = events[-limit:]
    for event in events:
        if as_json:
            print(json.dumps(event.to_json(), ensure_ascii=False))
            continue
        parts = [event.time, event.user, event.action]
        if event.name:
            parts.append(event.name)
        if event.category:
            parts.append(f"category={event.category}")
        if event.reason:
            parts.append(f"reason={shlex.quote(event.reason)}")
        if event.detail:
            parts.append(event.detail)
        print(" ".join(parts))
