"""Source definitions: where a list comes from, its category, format and action."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

DEFAULTS_DIR = Path(__file__).resolve().parent.parent / "blocklists"


@dataclass(frozen=True)
class SourceSpec:
    """One blocklist source: where to fetch it, its category, format and whether it blocks."""

    name: str
    url: str
    category: str
    format: str = "auto"
    action: str = "block"
