"""The SafeSearch mapping in blocklists/safesearch.toml: which names go to which endpoint."""

from __future__ import annotations

import tomllib
from pathlib import Path

from filters.names import InvalidName, normalise_name
from filters.sources import DEFAULTS_DIR

SAFESEARCH_FILE = DEFAULTS_DIR / "safesearch.toml"


class SafeSearchError(ValueError):
    """The mapping file is wrong; the message names the provider and entry."""


def load_safesearch(path: Path = SAFESEARCH_FILE, strict: bool = False) -> dict[str, str]:
    """Map each rewritten name to its safe endpoint (`strict` picks YouTube's strict mode)."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise SafeSearchError(f"{path}: {exc}") from None
    mapping: dict[str, str] = {}
    for provider, table in data.items():
        target = table.get("strict_target") if strict and "strict_target" in table else None
        target = target or table.get("target")
        names = table.get("names")
        if not isinstance(target, str) or not isinstance(names, list):
            raise SafeSearchError(f"{path}: [{provider}] needs target and names")
        for i, raw in enumerate(names):
            try:
                mapping[normalise_name(str(raw))] = normalise_name(target)
            except InvalidName as exc:
                raise SafeSearchError(f"{path}: [{provider}].names[{i}]: {exc.reason}") from None
    return mapping
