"""`hotspot-gateway blocklist ...`: the security staff's commands, thin adapters over filters/."""

from __future__ import annotations

import argparse
import ipaddress
import json
import shlex
import sys
import urllib.parse
from collections.abc import Callable
from pathlib import Path
from typing import Any

from filters.engine import BlocklistEngine
from filters.fetch import FetchLimits
from filters.names import InvalidName, normalise_name
from filters.never_block import NeverBlock
from filters.progress import Progress
from filters.snapshot_file import SnapshotError
from filters.staff import AuditLog
from filters.staff_edit import StaffEditError, record_staff_edit
from filters.store import SnapshotStore, StoreError
from filters.update import UpdateSettings, run_rollback, run_update
from filters.url_rules import parse_network
from filters.verdict import Verdict
from gateway.blocklist_report import print_audit, print_stats
from gateway.config import GatewayConfig, effective_sources, load_config
from gateway.errors import CommandFailed, UsageError
from gateway.publish_cli import cmd_publish, cmd_publish_keygen, update_from_publisher

AddOptions = Callable[[argparse.ArgumentParser], None]


def add_blocklist_commands(commands: Any, add_common: AddOptions) -> None:
    """Register `blocklist` and its subcommands."""
    blocklist = commands.add_parser("blocklist", help="update, inspect and edit the blocklists")
    sub = blocklist.add_subparsers(dest="action", required=True, parser_class=type(blocklist))

    def command(name: str, handler: Callable[[argparse.Namespace], int], help_text: str) -> Any:
        parser = sub.add_parser(name, help=help_text, description=help_text)
        add_common(parser)
        parser.set_defaults(handler=handler)
        return parser

    update = command("update", cmd_update, "fetch every source and swap in a new snapshot")
    update.add_argument("--force", action="store_true", help="accept sources the guards hold")
    update.add_argument("--quiet", action="store_true", help="print only the summary")
    check = command("check", cmd_check, "say whether a name, address or URL is blocked, and why")
    check.add_argument(
        "name", help="a domain name, an IP address, or a URL (its host, then its page, is checked)"
    )
    check.add_argument("--json", action="store_true", help="print the verdict as JSON")
    add = command("add", cmd_add, "block a name and its subdomains (staff entry)")
    add.add_argument("name")
    add.add_argument("--category", required=True)
    add.add_argument("--reason", required=True)
    allow = command("allow", cmd_allow, "allow a name and its subdomains (staff entry)")
    allow.add_argument("name")
    allow.add_argument("--reason", required=True)
    remove = command("remove", cmd_remove, "remove the staff entry for a name")
    remove.add_argument("name")
    remove.add_argument("--reason", default=None)
    command("rollback", cmd_rollback, "put the previous snapshot back in force")
    stats = command("stats", cmd_stats, "per source: entries, rejected lines, last update, age")
    stats.add_argument("--json", action="store_true")
    audit = command("audit", cmd_audit, "show the audit log (who, when, what, why)")
    audit.add_argument("--json", action="store_true")
    audit.add_argument("--limit", type=int, default=50, help="newest N events (0: all)")
    publish = command(
        "publish", cmd_publish, "vet the lists and publish them as signed bundles for a fleet"
    )
    publish.add_argument("--key", type=Path, required=True, help="the publisher's private key")
    publish.add_argument("--out", type=Path, required=True, help="the directory https serves")
    publish.add_argument("--force", action="store_true", help="accept sources the guards hold")
    publish.add_argument("--quiet", action="store_true", help="print only the summary")
    publish.add_argument(
        "--version", type=int, default=None, help="number this version (above the last one)"
    )
    keygen = command("publish-keygen", cmd_publish_keygen, "make the publisher's key pair")
    keygen.add_argument("--out", type=Path, required=True, help="where to write the two keys")


def _config(args: argparse.Namespace) -> GatewayConfig:
    return load_config(args.config)


def _state_dir(config: GatewayConfig) -> Path:
    return config.blocklists.state_dir


def _name_argument(raw: str) -> str:
    """A name as staff type it: any case, Unicode, or a pasted URL."""
    text = raw.strip()
    if "://" in text:
        text = urllib.parse.urlsplit(text).hostname or ""
    try:
        return normalise_name(text)
    except InvalidName as exc:
        raise UsageError(f"not a valid domain name {raw!r}: {exc.reason}") from None


def _reason_argument(raw: str | None, required: bool = True) -> str | None:
    if raw is None or not raw.strip():
        if required:
            raise UsageError("--reason must say why (it goes into the audit log)")
        return None
    if "\n" in raw or len(raw) > 500:
        raise UsageError("--reason must be one line of at most 500 characters")
    return raw.strip()


def _engine(config: GatewayConfig) -> BlocklistEngine:
    try:
        return BlocklistEngine(_state_dir(config))
    except (SnapshotError, OSError) as exc:
        raise CommandFailed(f"cannot load the blocklist snapshot: {exc}") from None


def format_verdict(name: str, verdict: Verdict) -> str:
    """The one-line answer of `blocklist check`."""
    if verdict.blocked:
        return (
            f"blocked {name} category={verdict.category} source={verdict.source} "
            f"rule={shlex.quote(verdict.rule or '')}"
        )
    if verdict.listed is None:
        return f"allowed {name}"
    text = f"allowed {name} by={verdict.tier.label} source={verdict.source} "
    text += f"rule={shlex.quote(verdict.rule or '')}"
    if verdict.reason:
        text += f" reason={shlex.quote(verdict.reason)}"
    return text


def check_subject(raw: str) -> tuple[str, Callable[[BlocklistEngine], Verdict]]:
    """What `check` was asked about, as it is shown, and how to explain its verdict.

    Checked before any list is loaded, so bad input fails fast with its own message.
    """
    text = raw.strip()
    if parse_network(text) is not None and "/" not in text:
        address = str(ipaddress.ip_address(text.strip("[]")))
        return address, lambda engine: engine.explain_address(address)
    if "://" in text or "/" in text:
        parts = urllib.parse.urlsplit(text if "://" in text else f"http://{text}")
        if parse_network(parts.hostname or "") is not None:
            return check_subject(parts.hostname or "")  # a page at an address: its address decides
        host = _name_argument(parts.hostname or "")
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        if target != "/":
            return host + target, lambda engine: engine.explain_request(host, target)
        text = host
    name = _name_argument(text)
    return name, lambda engine: engine.explain(name)


def cmd_check(args: argparse.Namespace) -> int:
    """`blocklist check NAME|ADDRESS|URL`."""
    name, explain = check_subject(args.name)
    engine = _engine(_config(args))
    if engine.snapshot is None:
        print("note: no snapshot yet; run `blocklist update` (staff entries still apply)",
              file=sys.stderr)  # fmt: skip
    verdict = explain(engine)
    if args.json:
        print(json.dumps(verdict.to_json(name), ensure_ascii=False))
    else:
        print(format_verdict(name, verdict))
    return 0


def _record_staff_edit(args: argparse.Namespace, action: str, category: str | None) -> int:
    config = _config(args)
    name = _name_argument(args.name)
    reason = _reason_argument(args.reason, required=action != "remove")
    store = SnapshotStore(_state_dir(config))
    store.ensure()
    try:
        # The console applies the same rules: filters/staff_edit.py.
        record_staff_edit(
            AuditLog(store.audit_path), NeverBlock.load(), user=args.user, action=action,
            name=name, category=category, reason=reason, categories=config.blocklists.categories,
        )  # fmt: skip
    except StaffEditError as exc:
        raise UsageError(str(exc)) from None
    verdict = _engine(config).lookup(name)
    print(format_verdict(name, verdict))
    if action == "add" and not verdict.blocked:
        print(f"warning: {name} stays allowed by {verdict.tier.label} {verdict.listed}",
              file=sys.stderr)  # fmt: skip
    return 0


def cmd_add(args: argparse.Namespace) -> int:
    """`blocklist add NAME --category C --reason R`."""
    categories = _config(args).blocklists.categories
    if args.category not in categories:
        raise UsageError(
            f"--category must be one of {', '.join(categories)}, got {args.category!r}"
        )
    return _record_staff_edit(args, "add", args.category)


def cmd_allow(args: argparse.Namespace) -> int:
    """`blocklist allow NAME --reason R`."""
    return _record_staff_edit(args, "allow", None)


def cmd_remove(args: argparse.Namespace) -> int:
    """`blocklist remove NAME`."""
    return _record_staff_edit(args, "remove", None)


def cmd_update(args: argparse.Namespace) -> int:
    """`blocklist update [--force]`: from the sources, or from the publisher if one is set."""
    config = _config(args)
    bl = config.blocklists
    if bl.publisher_url:
        return update_from_publisher(bl, args)
    settings = UpdateSettings(
        state_dir=bl.state_dir,
        sources=effective_sources(bl),
        keep_snapshots=bl.keep_snapshots,
        limits=FetchLimits(bl.fetch_timeout, bl.fetch_retries, bl.max_source_size),
    )
    progress = Progress(enabled=not args.quiet)
    try:
        result = run_update(settings, NeverBlock.load(), user=args.user, force=args.force,
                            progress=progress)  # fmt: skip
    except (StoreError, SnapshotError, OSError) as exc:
        raise CommandFailed(f"update failed, the previous snapshot stays in force: {exc}") from None
    for warning in result.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    for name, why in result.held.items():
        print(f"held back: {name}: {why} (use --force to accept it)", file=sys.stderr)
    failed = {n: s for n, s in result.fetched.items() if s.startswith("failed")}
    for name, status in failed.items():
        print(f"warning: {name}: {status}", file=sys.stderr)
    verb = "unchanged" if result.unchanged else "published"
    print(f"snapshot {result.meta['id']} {verb}: {result.meta['keys']} names "
          f"from {len(result.meta['sources'])} sources")  # fmt: skip
    return 1 if failed and len(failed) == len(result.fetched) else 0


def cmd_rollback(args: argparse.Namespace) -> int:
    """`blocklist rollback`."""
    config = _config(args)
    try:
        previous = run_rollback(_state_dir(config), user=args.user)
    except StoreError as exc:
        raise CommandFailed(str(exc)) from None
    print(f"rolled back to snapshot {previous.stem}")
    return 0


def cmd_stats(args: argparse.Namespace) -> int:
    """`blocklist stats`."""
    config = _config(args)
    print_stats(SnapshotStore(_state_dir(config)), as_json=args.json)
    return 0


def cmd_audit(args: argparse.Namespace) -> int:
    """`blocklist audit`."""
    config = _config(args)
    if args.limit < 0:
        raise UsageError("--limit must be 0 (all) or more")
    print_audit(AuditLog(SnapshotStore(_state_dir(config)).audit_path), args.limit, args.json)
    return 0
