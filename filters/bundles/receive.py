"""A gateway takes its lists from the publisher: fetch, verify, refuse rollbacks, rebuild, swap.

Nothing is used before it is verified: the index's signature, then the bundle's size and
SHA-256 as the index names them, then the bundle's own signature and payload checksum, then
every rebuilt list's SHA-256. The rebuilt lists go through the same compile and atomic swap as
`blocklist update`, so a failure at any step leaves the list in force as it was.

The highest version ever installed is kept in state_dir/bundle.json, per publisher key: an
index or bundle that is not newer is refused, so an attacker who replays an old, validly signed
bundle cannot bring back names the publisher has since listed.
"""

from __future__ import annotations

import json
import ssl
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from filters.atomic import atomic_write_bytes, temp_path
from filters.bundles.delta import DeltaError, apply_delta
from filters.bundles.format import BundleError, SourcePart
from filters.bundles.index import INDEX_NAME, MAX_INDEX_BYTES, BundleFile, Index, read_index
from filters.bundles.signing import BadSignature, key_fingerprint
from filters.bundles.unpack import VerifiedBundle, open_verified
from filters.compiler import CompileInput, file_sha256
from filters.fetch import FetchError, FetchLimits, fetch_source
from filters.never_block import NeverBlock
from filters.progress import Progress
from filters.sources import SourceSpec
from filters.staff import AuditEvent, AuditLog, utc_now
from filters.store import SnapshotStore
from filters.update import compile_and_swap

FLOOR_FILE = "bundle.json"


class BundleRefused(Exception):
    """The publisher's index or bundle was not installed; the list in force stays."""


class DownloadFailed(BundleRefused):
    """A file of the publisher's could not be fetched whole."""


class _BaseMismatch(Exception):
    """Our copy of a list is not the one a delta starts from; the full bundle is needed."""


@dataclass(frozen=True)
class ReceiveSettings:
    """What receiving needs from the config."""

    state_dir: Path
    publisher_url: str
    public_key: Ed25519PublicKey
    tls: ssl.SSLContext | None = None
    keep_snapshots: int = 3
    limits: FetchLimits = field(default_factory=FetchLimits)
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))

    def url(self, name: str) -> str:
        """The address of a file beside index.json."""
        return f"{self.publisher_url.rstrip('/')}/{name}"


@dataclass(frozen=True)
class ReceiveResult:
    """The version in force afterwards, and what was downloaded to get there."""

    version: int
    installed: BundleFile | None  # None: the version offered was already in force
    snapshot: Path | None = None
    meta: dict[str, Any] = field(default_factory=dict)


def run_receive(
    settings: ReceiveSettings, never_block: NeverBlock, *, user: str,
    progress: Progress | None = None,
) -> ReceiveResult:  # fmt: skip
    """Install the publisher's latest version if it is newer; BundleRefused says why not."""
    progress = progress or Progress(enabled=False)
    store = SnapshotStore(settings.state_dir)
    audit = AuditLog(store.audit_path)
    with store.update_lock():
        store.remove_leftovers()
        try:
            result = _receive(store, settings, never_block, progress)
        except BundleRefused as exc:
            audit.append(AuditEvent(utc_now(), user, "bundle-refused", detail=str(exc)))
            raise
    if result.installed is not None:
        got = result.installed
        how = "full" if got.base is None else f"delta from {got.base}"
        detail = f"bundle {result.version} ({how}, {got.size} bytes): snapshot "
        detail += f"{result.meta['id']}, {result.meta['keys']} names"
        audit.append(AuditEvent(utc_now(), user, "bundle", detail=detail))
    return result


def version_in_force(state_dir: Path, public_key: Ed25519PublicKey) -> int:
    """The highest version installed from the publisher with this key; 0 before the first."""
    try:
        record = json.loads((state_dir / FLOOR_FILE).read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        return 0
    # A new key is a new trust root that staff configured: its versions start afresh.
    return int(record.get("version", 0)) if record.get("key") == key_fingerprint(public_key) else 0


def _record_version(store: SnapshotStore, settings: ReceiveSettings, version: int) -> None:
    record = {"version": version, "key": key_fingerprint(settings.public_key),
              "publisher": settings.publisher_url, "installed": utc_now()}  # fmt: skip
    atomic_write_bytes(store.root / FLOOR_FILE, (json.dumps(record, indent=1) + "\n").encode())


def _receive(
    store: SnapshotStore, settings: ReceiveSettings, never_block: NeverBlock, progress: Progress
) -> ReceiveResult:
    ours = version_in_force(store.root, settings.public_key)
    index = _fetch_index(store, settings, progress)
    if index.expired(settings.clock()):
        raise BundleRefused(
            f"index.json expired at {index.expires}: the publisher has signed nothing since; "
            "check that its daily `blocklist publish` runs"
        )
    if index.version < ours:
        raise BundleRefused(
            f"rollback: the publisher offers version {index.version}, older than version "
            f"{ours} already installed"
        )
    if index.version == ours:
        return ReceiveResult(ours, None)
    delta = index.delta_from(ours) if ours else None
    if delta is not None:
        try:
            return _install(store, settings, never_block, index, delta, progress)
        except (_BaseMismatch, DownloadFailed) as exc:
            progress.say(f"{exc}; fetching the full bundle instead")
    try:
        return _install(store, settings, never_block, index, index.full, progress)
    except _BaseMismatch as exc:  # a full bundle has no base; this means a damaged header
        raise BundleRefused(str(exc)) from None


def _download(
    store: SnapshotStore, settings: ReceiveSettings, name: str, max_bytes: int,
    progress: Progress,
) -> Path:  # fmt: skip
    """Fetch one file of the publisher's into a temporary file under state_dir/sources."""
    dest = temp_path(store.sources_dir, "bundle")
    limits = replace(settings.limits, max_bytes=max_bytes)
    try:
        fetch_source(settings.url(name), dest, {}, limits, progress, settings.tls)
    except FetchError as exc:
        dest.unlink(missing_ok=True)
        raise DownloadFailed(f"download failed: {exc}") from None
    return dest


def _fetch_index(store: SnapshotStore, settings: ReceiveSettings, progress: Progress) -> Index:
    progress.say(f"fetching {settings.url(INDEX_NAME)}")
    path = _download(store, settings, INDEX_NAME, MAX_INDEX_BYTES, progress)
    try:
        return read_index(path.read_bytes(), settings.public_key)
    except BadSignature:
        raise BundleRefused("index.json: its signature does not verify with the key") from None
    except BundleError as exc:
        raise BundleRefused(str(exc)) from None
    finally:
        path.unlink(missing_ok=True)


def _install(
    store: SnapshotStore, settings: ReceiveSettings, never_block: NeverBlock, index: Index,
    chosen: BundleFile, progress: Progress,
) -> ReceiveResult:  # fmt: skip
    progress.say(f"fetching {chosen.file} ({chosen.size} bytes)")
    path = _download(store, settings, chosen.file, chosen.size, progress)
    inputs: list[CompileInput] = []
    try:
        if path.stat().st_size != chosen.size or file_sha256(path) != chosen.sha256:
            raise BundleRefused(f"{chosen.file}: not the file index.json names (size, SHA-256)")
        try:
            bundle = open_verified(path, settings.public_key)
        except BadSignature:
            raise BundleRefused(f"{chosen.file}: its signature does not verify") from None
        except BundleError as exc:
            raise BundleRefused(f"{chosen.file}: {exc}") from None
        header = bundle.header
        if header.version != index.version or header.base != chosen.base:
            raise BundleRefused(
                f"{chosen.file}: holds version {header.version} from {header.base}, not "
                f"version {index.version} from {chosen.base} as index.json says"
            )
        for part in header.sources:
            inputs.append(_rebuild(store, bundle, part))
        path.unlink()
        # The publisher vetted these lists with the same guards; holding one back here would
        # leave this gateway on a different list than the fleet. Never-block names stay
        # shielded at lookup time whatever the lists say.
        snapshot, meta = compile_and_swap(
            store, inputs, never_block, force=True, progress=progress,
            extra_meta={"bundle": {"version": header.version, "base": header.base}},
            keep_snapshots=settings.keep_snapshots,
        )  # fmt: skip
    finally:
        path.unlink(missing_ok=True)
        for inp in inputs:
            if inp.candidate is not None:
                inp.candidate.unlink(missing_ok=True)
    _record_version(store, settings, header.version)
    return ReceiveResult(header.version, chosen, snapshot, meta)


def _rebuild(store: SnapshotStore, bundle: VerifiedBundle, part: SourcePart) -> CompileInput:
    """One list of the bundle as a compile input: a rebuilt new copy, or our copy if unchanged."""
    spec = SourceSpec(part.name, part.url, part.category, part.format, part.action)
    ours = store.source_copy(part.name)
    last_good = ours if ours.exists() else None
    if part.encoding != "full" and (last_good is None or file_sha256(ours) != part.base_sha256):
        raise _BaseMismatch(f"{part.name}: our copy is not the one the delta starts from")
    if part.encoding == "same":
        return CompileInput(spec=spec, candidate=None, last_good=last_good)
    candidate = temp_path(store.sources_dir, part.name)
    try:
        with candidate.open("wb") as out:
            if part.encoding == "full":
                for chunk in bundle.part_chunks(part):
                    out.write(chunk)
            else:
                apply_delta(ours.read_bytes(), bundle.part_bytes(part), out)
        if candidate.stat().st_size != part.size or file_sha256(candidate) != part.sha256:
            raise BundleRefused(f"{part.name}: the rebuilt list does not match its SHA-256")
    except (BundleError, DeltaError) as exc:
        candidate.unlink(missing_ok=True)
        raise BundleRefused(f"{part.name}: {exc}") from None
    except BaseException:
        candidate.unlink(missing_ok=True)
        raise
    return CompileInput(spec=spec, candidate=candidate, last_good=last_good)
