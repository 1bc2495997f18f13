"""The portal's counters on disk, so staff can read them while `run` serves (`sessions list`).

Written by `run` after each session sweep, atomically; counts only, nothing per resident.
"""

from __future__ import annotations

import json
from pathlib import Path

from filters.atomic import atomic_write_bytes

STATS_FILE = "portal-stats.json"


def stats_path(state_dir: Path) -> Path:
    """Where `run` keeps the portal's counters."""
    return state_dir / STATS_FILE


def write_stats(path: Path, counts: dict[str, int]) -> None:
    """Replace the file with these counts (a crash leaves the old or the new, never half)."""
    atomic_write_bytes(path, json.dumps(counts, sort_keys=True).encode())


def read_stats(path: Path) -> dict[str, int] | None:
    """The counts last written, or None when there are none (or the file is unreadable)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict):
        return None
    return {str(k): int(v) for k, v in data.items() if isinstance(v, int)}


def stats_summary(counts: dict[str, int], families: tuple[str, ...]) -> str:
    """One line for staff: probes by OS family, splash views, and how many then got online."""
    probes = ", ".join(f"{family} {counts.get(f'probes_{family}', 0)}" for family in families)
    return (
        f"Portal sejak mulai / since start: probe {probes}; halaman sambutan / splash views "
        f"{counts.get('splash_views', 0)}; lalu tersambung / then online "
        f"{counts.get('splash_then_online', 0)}; penuh / full {counts.get('connects_full', 0)}\n"
    )
