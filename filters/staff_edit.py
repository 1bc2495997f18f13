"""One staff edit (block, allow, or remove an entry), checked and journalled.

The rules the command line and the console share.
"""

from __future__ import annotations

from filters.names import InvalidName, name_key, normalise_name
from filters.never_block import NeverBlock
from filters.staff import STAFF_ACTIONS, AuditEvent, AuditLog, staff_entries, utc_now

MAX_REASON = 500


class StaffEditError(ValueError):
    """An edit that cannot be made; the message says why, for the person making it."""


def record_staff_edit(
    audit: AuditLog, never_block: NeverBlock, *, user: str, action: str, name: str,
    category: str | None, reason: str | None, categories: tuple[str, ...],
) -> AuditEvent:  # fmt: skip
    """Check the edit, then journal it (fsync'd: the audit log is the source of truth)."""
    if action not in STAFF_ACTIONS:
        raise StaffEditError(f"unknown action {action!r}")
    try:
        name = normalise_name(name.strip())
    except InvalidName as exc:
        raise StaffEditError(f"not a valid domain name {name!r}: {exc.reason}") from None
    reason = (reason or "").strip() or None
    if action != "remove" and reason is None:
        raise StaffEditError("a reason is required (it goes into the audit log)")
    if reason is not None and ("\n" in reason or len(reason) > MAX_REASON):
        raise StaffEditError(f"the reason must be one line of at most {MAX_REASON} characters")
    if action == "add":
        if category not in categories:
            raise StaffEditError(f"category {category!r}: must be one of {', '.join(categories)}")
        shield = never_block.shields(name_key(name))
        if shield is not None:
            raise StaffEditError(f"{name} is covered by the must-never-block entry {shield}")
    else:
        category = None
    if action == "remove" and name not in staff_entries(audit.events()):
        raise StaffEditError(
            f"no staff entry for {name} (list entries are overridden with `allow`)"
        )
    event = AuditEvent(utc_now(), user, action, name, category, reason)
    audit.append(event)
    return event
