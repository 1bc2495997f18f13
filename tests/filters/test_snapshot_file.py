"""A damaged, truncated or foreign snapshot is refused with SnapshotError, never half-loaded."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from filters.snapshot import Snapshot
from filters.snapshot_file import FORMAT_VERSION, SnapshotError, read_meta
from filters.sources import SourceSpec
from filters.update import UpdateSettings, run_update
from tests.filters.builders import TEST_NEVER_BLOCK, publish_lists, spec


@pytest.fixture
def snapshot_bytes(state_dir: Path) -> bytes:
    path = publish_lists(state_dir, [(spec("tp"), "a.test\nb.test\n")])
    return path.read_bytes()


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda b: b[: len(b) // 2], "truncated or damaged"),
        (lambda b: b[:-1], "truncated or damaged"),
        (lambda b: b"NOTASNAP" + b[8:], "not a hotspot-gateway snapshot"),
        (lambda b: b[:8] + struct.pack("<I", FORMAT_VERSION - 1) + b[12:], "snapshot format"),
        (lambda b: b[:10], "too short"),
        (lambda b: b[:-5] + b"}}}}}", "damaged metadata"),
    ],
    ids=["half", "one-byte-short", "magic", "old-format", "tiny", "metadata"],
)
def test_damaged_snapshots_are_refused(
    tmp_path: Path, snapshot_bytes: bytes, damage: object, message: str
) -> None:
    broken = tmp_path / "broken.snap"
    broken.write_bytes(damage(snapshot_bytes))  # type: ignore[operator]
    with pytest.raises(SnapshotError, match=message):
        Snapshot(broken)


def test_update_rebuilds_a_current_snapshot_it_cannot_read(state_dir: Path, tmp_path: Path) -> None:
    listing = tmp_path / "list.txt"
    listing.write_text("kept.test\n")
    settings = UpdateSettings(state_dir, (SourceSpec("l", f"file://{listing}", "porn"),))
    first = run_update(settings, TEST_NEVER_BLOCK, user="t")
    assert first.snapshot is not None
    first.snapshot.write_bytes(first.snapshot.read_bytes()[:100])  # damaged on disk
    second = run_update(settings, TEST_NEVER_BLOCK, user="t")
    assert not second.unchanged and second.snapshot is not None
    assert read_meta(second.snapshot)["keys"] == 1
