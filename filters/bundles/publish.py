"""`blocklist publish`: vet the lists as an update does, then publish them as signed bundles.

out_dir/index.json                  signed: the latest version and the files below
out_dir/bundle-N.full               every list of version N
out_dir/bundle-N.delta-from-M       version N as changes to version M, where that is smaller

Any static https server can serve out_dir. Bundles are written before the index that names them
and old ones removed after it, so a gateway never reads an index whose files are missing.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from filters.atomic import atomic_write_bytes, fsync_dir
from filters.bundles.delta import make_delta
from filters.bundles.format import BundleError, SourcePart, source_json
from filters.bundles.index import (
    INDEX_NAME,
    BundleFile,
    Index,
    delta_name,
    expiry_from,
    full_name,
    read_index,
    signed_index,
)
from filters.bundles.pack import PackedPart, write_signed_bundle
from filters.bundles.signing import BadSignature
from filters.bundles.unpack import VerifiedBundle, open_verified
from filters.compiler import file_sha256
from filters.never_block import NeverBlock
from filters.progress import Progress
from filters.staff import AuditEvent, AuditLog, utc_now
from filters.store import SnapshotStore
from filters.update import UpdateResult, UpdateSettings, run_update

# A gateway that missed up to a week of daily versions still gets a delta.
DELTA_BASES = 7
_FULL = re.compile(r"bundle-(\d+)\.full")


class PublishError(Exception):
    """Publishing cannot go on; what was published before stays as it was."""


@dataclass(frozen=True)
class PublishResult:
    """The version the index names, and whether this run made it."""

    version: int
    changed: bool
    full: BundleFile
    deltas: tuple[BundleFile, ...]
    update: UpdateResult


def run_publish(
    settings: UpdateSettings,
    never_block: NeverBlock,
    private: Ed25519PrivateKey,
    out_dir: Path,
    *,
    user: str,
    force: bool = False,
    progress: Progress | None = None,
    version: int | None = None,
) -> PublishResult:
    """Update the lists, then publish a new version if they changed (or `version` is given)."""
    progress = progress or Progress(enabled=False)
    public = private.public_key()
    out_dir.mkdir(parents=True, exist_ok=True)
    previous = _published_index(out_dir, private)
    if version is not None and previous is not None and version <= previous.version:
        raise PublishError(f"version {version} is not above {previous.version}, the one published")
    update = run_update(settings, never_block, user=user, force=force, progress=progress)
    store = SnapshotStore(settings.state_dir)
    with store.update_lock():  # the lists must not change while they are packed
        sources = _bundled_sources(store, update.meta)
        if previous is not None and version is None:
            before = open_verified(out_dir / previous.full.file, public).header.sources
            if [source_json(p) for p in before] == [source_json(p) for p in sources]:
                # Nothing new, but the publisher's word is renewed: gateways see it is alive.
                renewed = replace(
                    previous, created=utc_now(), expires=expiry_from(datetime.now(UTC))
                )
                atomic_write_bytes(out_dir / INDEX_NAME, signed_index(renewed, private))
                return PublishResult(previous.version, False, previous.full, previous.deltas,
                                     update)  # fmt: skip
        new = version or (previous.version + 1 if previous else 1)
        progress.say(f"writing bundle {new} ({len(sources)} lists)")
        files = [PackedPart(s, file=store.source_copy(s.name)) for s in sources]
        full = write_signed_bundle(out_dir / full_name(new), new, None, files, private)
        deltas = []
        for base, bundle in _recent_bases(out_dir, public, new):
            progress.say(f"writing the delta from bundle {base}")
            parts = [_delta_part(bundle, s, store.source_copy(s.name)) for s in sources]
            path = out_dir / delta_name(new, base)
            delta = write_signed_bundle(path, new, base, parts, private)
            if delta.size < full.size:
                deltas.append(delta)
            else:
                path.unlink()
    index = Index(new, utc_now(), full, tuple(deltas), expires=expiry_from(datetime.now(UTC)))
    atomic_write_bytes(out_dir / INDEX_NAME, signed_index(index, private))
    _remove_old_bundles(out_dir, new)
    detail = f"bundle {new}: {update.meta['keys']} names from {len(sources)} lists; "
    detail += f"full {full.size} bytes" + "".join(
        f"; delta from {d.base} {d.size} bytes" for d in deltas
    )
    AuditLog(store.audit_path).append(AuditEvent(utc_now(), user, "publish", detail=detail))
    return PublishResult(new, True, full, tuple(deltas), update)


def _published_index(out_dir: Path, private: Ed25519PrivateKey) -> Index | None:
    """The index already in out_dir, which must be signed with this key."""
    try:
        data = (out_dir / INDEX_NAME).read_bytes()
    except FileNotFoundError:
        return None
    try:
        return read_index(data, private.public_key())
    except (BadSignature, BundleError) as exc:
        raise PublishError(
            f"{out_dir / INDEX_NAME} was not published with this key: {exc}"
        ) from None


def _bundled_sources(store: SnapshotStore, meta: dict[str, Any]) -> list[SourcePart]:
    """The lists the snapshot was compiled from, as the publisher's last good copies."""
    sources = []
    for source in meta["sources"]:
        if source["used"] == "none":
            continue  # never fetched: gateways do without it, as this snapshot does
        path = store.source_copy(source["name"])
        if file_sha256(path) != source["sha256"]:
            raise PublishError(f"{source['name']} changed while publishing; publish again")
        sources.append(
            SourcePart(
                name=source["name"],
                url=source["url"],
                category=source["category"],
                format=source["format"],
                action=source["action"],
                entries=source["entries"],
                sha256=source["sha256"],
                size=path.stat().st_size,
                encoding="full",
            )
        )
    return sources


def _recent_bases(
    out_dir: Path, public: Ed25519PublicKey, new: int
) -> Iterator[tuple[int, VerifiedBundle]]:
    """The newest earlier versions whose full bundles are still here, newest first."""
    versions = sorted((int(m[1]) for p in out_dir.iterdir() if (m := _FULL.fullmatch(p.name))),
                      reverse=True)  # fmt: skip
    for base in [v for v in versions if v < new][:DELTA_BASES]:
        yield base, open_verified(out_dir / full_name(base), public)


def _delta_part(base: VerifiedBundle, source: SourcePart, path: Path) -> PackedPart:
    """A list as a change to its copy in `base`: same, a delta, or whole when that is smaller."""
    before = next((p for p in base.header.sources if p.name == source.name), None)
    if before is None:
        return PackedPart(source, file=path)
    if before.sha256 == source.sha256:
        return PackedPart(_as(source, "same", before.sha256))
    new = path.read_bytes()
    script = make_delta(base.part_bytes(before), new)
    if len(script) >= len(new):
        return PackedPart(source, file=path)
    return PackedPart(_as(source, "delta", before.sha256), script=script)


def _as(source: SourcePart, encoding: str, base_sha256: str) -> SourcePart:
    return SourcePart(**{**source_json(source), "encoding": encoding, "base_sha256": base_sha256})


def _remove_old_bundles(out_dir: Path, new: int) -> None:
    """Keep the full bundles the next deltas start from, and only the deltas to `new`."""
    fulls = sorted(int(m[1]) for p in out_dir.iterdir() if (m := _FULL.fullmatch(p.name)))
    keep = {full_name(v) for v in fulls[-(DELTA_BASES + 1) :]} | {INDEX_NAME}
    for path in out_dir.iterdir():
        current_delta = path.name.startswith(f"bundle-{new}.delta-from-")
        if path.name.startswith("bundle-") and path.name not in keep and not current_delta:
            path.unlink()
    fsync_dir(out_dir)
