"""The typed answer to "is this name blocked, and by which list, category and rule?"."""

from __future__ import annotations

from enum import IntEnum
from typing import Any, NamedTuple


class Tier(IntEnum):
    """Where a matching entry comes from; a lower value wins over a higher one."""

    NEVER_BLOCK = 0
    STAFF_ALLOW = 1
    STAFF_BLOCK = 2
    LIST_EXCEPTION = 3
    LIST_BLOCK = 4
    NONE = 5

    @property
    def label(self) -> str:
        """The word staff tools print for this tier."""
        return self.name.lower().replace("_", "-")


class Verdict(NamedTuple):
    """Blocked or allowed, and the entry that decided it (none for an unlisted name).

    A NamedTuple rather than a frozen dataclass: it is made on every blocked lookup, and
    builds four times faster. `line` is filled only by `BlocklistEngine.explain`.
    """

    blocked: bool
    tier: Tier = Tier.NONE
    category: str | None = None
    source: str | None = None
    rule: str | None = None
    listed: str | None = None
    line: int | None = None
    reason: str | None = None

    def to_json(self, name: str) -> dict[str, Any]:
        """A JSON-ready dict with the queried name."""
        data = self._asdict()
        data["tier"] = self.tier.label
        return {"name": name, "verdict": "blocked" if self.blocked else "allowed", **data}


# Shared by every lookup that matches nothing, so the common case allocates nothing.
UNLISTED = Verdict(blocked=False)
