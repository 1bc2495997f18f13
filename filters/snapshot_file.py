"""The on-disk layout of a compiled snapshot: one immutable, mmap-able file.

    header | fingerprints uint64[slots] (page-aligned) | values uint16[slots] | metadata JSON

The fingerprints and values form the SuffixTable of every listed key; a value indexes the
"pairs" table in the metadata (the entries that decide the name itself and names under it).
All integers are little-endian.
"""

from __future__ import annotations

import json
import mmap
import struct
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

MAGIC = b"HGSNAP\x00\x01"
FORMAT_VERSION = 4
_HEADER = struct.Struct("<8sIIQQQQQQQQ")
PAGE = 4096
NO_RECORD = 0xFFFF


class SnapshotError(Exception):
    """A snapshot file is missing, truncated or not ours."""


@dataclass(frozen=True)
class Layout:
    """Where each section of a snapshot file lies."""

    n_keys: int
    slots: int
    table_off: int
    values_off: int
    meta_off: int
    meta_len: int
    total: int


def _pad(fh: BinaryIO, align: int) -> None:
    gap = -fh.tell() % align
    fh.write(b"\0" * gap)


def write_snapshot(
    fh: BinaryIO, n_keys: int, table: bytearray, values: bytearray, meta: dict[str, Any]
) -> int:
    """Write every section to an open binary file; returns the total size."""
    if sys.byteorder != "little":  # pragma: no cover - the gateways we target are little-endian
        raise SnapshotError("snapshots are little-endian; this machine is not")
    slots = len(table) // 8
    fh.write(b"\0" * _HEADER.size)
    _pad(fh, PAGE)
    table_off = fh.tell()
    fh.write(table)
    values_off = fh.tell()
    fh.write(values)
    meta_off = fh.tell()
    meta_bytes = json.dumps(meta, separators=(",", ":")).encode()
    fh.write(meta_bytes)
    total = fh.tell()
    fh.seek(0)
    fh.write(
        _HEADER.pack(
            MAGIC, FORMAT_VERSION, _HEADER.size, n_keys, slots, table_off, values_off,
            meta_off, len(meta_bytes), total, 0,
        )
    )  # fmt: skip
    fh.seek(total)
    return total


def read_layout(mm: mmap.mmap, path: Path) -> Layout:
    """Check the header and that the file is as long as it says; no partial file passes."""
    if len(mm) < _HEADER.size:
        raise SnapshotError(f"{path}: too short to be a snapshot")
    magic, version, _hsize, n, slots, table_off, values_off, meta_off, meta_len, total, _ = (
        _HEADER.unpack_from(mm, 0)
    )
    if magic != MAGIC:
        raise SnapshotError(f"{path}: not a hotspot-gateway snapshot")
    if version != FORMAT_VERSION:
        raise SnapshotError(
            f"{path}: snapshot format {version}, this version reads {FORMAT_VERSION}"
        )
    if total != len(mm) or meta_off + meta_len != total:
        raise SnapshotError(f"{path}: truncated or damaged ({len(mm)} of {total} bytes)")
    if table_off + 8 * slots != values_off or values_off + 2 * slots != meta_off or not slots:
        raise SnapshotError(f"{path}: damaged section table")
    return Layout(n, slots, table_off, values_off, meta_off, meta_len, total)


def read_meta(path: Path) -> dict[str, Any]:
    """Only the metadata of a snapshot, for listings."""
    with path.open("rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as mm:
        layout = read_layout(mm, path)
        meta: dict[str, Any] = json.loads(mm[layout.meta_off : layout.total])
        return meta
