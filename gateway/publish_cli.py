"""`blocklist publish`, `publish-keygen`, and `update` from a publisher: a fleet's signed lists."""

from __future__ import annotations

import argparse
import os
import ssl
import sys
from pathlib import Path

from filters.bundles.publish import PublishError, run_publish
from filters.bundles.receive import BundleRefused, ReceiveSettings, run_receive
from filters.bundles.signing import BadKey, generate_key_pair, load_private_key, load_public_key
from filters.fetch import FetchLimits
from filters.never_block import NeverBlock
from filters.progress import Progress
from filters.snapshot_file import SnapshotError
from filters.store import StoreError
from filters.update import UpdateSettings
from gateway.config import BlocklistsConfig, effective_sources, load_config
from gateway.errors import CommandFailed, UsageError

PRIVATE_KEY_NAME = "publisher.key"
PUBLIC_KEY_NAME = "publisher.pub"


def _limits(bl: BlocklistsConfig) -> FetchLimits:
    return FetchLimits(bl.fetch_timeout, bl.fetch_retries, bl.max_source_size)


def cmd_publish(args: argparse.Namespace) -> int:
    """`blocklist publish --key FILE --out DIR`."""
    bl = load_config(args.config).blocklists
    try:
        private = load_private_key(args.key)
    except BadKey as exc:
        raise UsageError(f"--key: {exc}") from None
    if args.version is not None and args.version < 1:
        raise UsageError("--version must be 1 or more")
    settings = UpdateSettings(
        state_dir=bl.state_dir,
        sources=effective_sources(bl),
        keep_snapshots=bl.keep_snapshots,
        limits=_limits(bl),
    )
    try:
        result = run_publish(
            settings, NeverBlock.load(), private, args.out, user=args.user, force=args.force,
            progress=Progress(enabled=not args.quiet), version=args.version,
        )  # fmt: skip
    except (PublishError, StoreError, SnapshotError, OSError) as exc:
        raise CommandFailed(f"publish failed, what was published stays: {exc}") from None
    for name, why in result.update.held.items():
        print(f"held back: {name}: {why} (use --force to accept it)", file=sys.stderr)
    if not result.changed:
        print(f"bundle {result.version} unchanged: the lists are as published")
        return 0
    deltas = "".join(f", delta from {d.base} {d.size} bytes" for d in result.deltas)
    print(f"bundle {result.version} published: {result.update.meta['keys']} names, "
          f"full {result.full.size} bytes{deltas}")  # fmt: skip
    return 0


def cmd_publish_keygen(args: argparse.Namespace) -> int:
    """`blocklist publish-keygen --out DIR`."""
    private_path, public_path = args.out / PRIVATE_KEY_NAME, args.out / PUBLIC_KEY_NAME
    for path in (private_path, public_path):
        if path.exists():
            raise UsageError(f"{path} exists; a new key would lock the fleet out (move it away)")
    pem, public = generate_key_pair()
    try:
        args.out.mkdir(parents=True, exist_ok=True)
        fd = os.open(private_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(pem)
        public_path.write_text(public + "\n", encoding="ascii")
    except OSError as exc:
        raise CommandFailed(f"cannot write the key pair: {exc}") from None
    print(f"private key {private_path} (keep it on the publisher only)")
    print(f'public key {public_path}; gateways\' [blocklists] publisher_key = "{public}"')
    return 0


def _tls_context(ca: Path | None) -> ssl.SSLContext | None:
    if ca is None:
        return None
    try:
        return ssl.create_default_context(cafile=str(ca))
    except (OSError, ssl.SSLError) as exc:
        raise UsageError(f"blocklists.publisher_ca: cannot use {ca}: {exc}") from None


def update_from_publisher(bl: BlocklistsConfig, args: argparse.Namespace) -> int:
    """`blocklist update` on a gateway whose lists come from a publisher."""
    if args.force:
        raise UsageError(
            "--force: the publisher vets the lists when blocklists.publisher_url is set"
        )
    try:
        public = load_public_key(bl.publisher_key)
    except BadKey as exc:
        raise UsageError(f"blocklists.publisher_key: {exc}") from None
    settings = ReceiveSettings(
        state_dir=bl.state_dir,
        publisher_url=bl.publisher_url,
        public_key=public,
        tls=_tls_context(bl.publisher_ca),
        keep_snapshots=bl.keep_snapshots,
        limits=_limits(bl),
    )
    try:
        result = run_receive(settings, NeverBlock.load(), user=args.user,
                             progress=Progress(enabled=not args.quiet))  # fmt: skip
    except BundleRefused as exc:
        raise CommandFailed(f"bundle refused, the list in force stays: {exc}") from None
    except (StoreError, SnapshotError, OSError) as exc:
        raise CommandFailed(f"update failed, the previous snapshot stays in force: {exc}") from None
    if result.installed is None:
        print(f"bundle {result.version} unchanged: the publisher has nothing newer")
        return 0
    how = "full" if result.installed.base is None else f"delta from {result.installed.base}"
    print(f"bundle {result.version} installed ({how}, {result.installed.size} bytes): "
          f"snapshot {result.meta['id']} published: {result.meta['keys']} names")  # fmt: skip
    return 0
