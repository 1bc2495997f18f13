"""parse_set_counters: bytes per admitted phone from `nft -j list set` output (pure)."""

from __future__ import annotations

import json
from typing import Any


class CounterFormatError(ValueError):
    """The nft JSON did not have the shape of a listed set."""


def _element_bytes(element: Any) -> tuple[str, int]:
    # nft writes a bare value for an element with nothing attached, and an object with "val",
    # "timeout", "expires" and "counter" otherwise.
    if isinstance(element, str):
        return element, 0
    if isinstance(element, dict) and isinstance(element.get("elem"), dict):
        inner = element["elem"]
        value = inner.get("val")
        counter = inner.get("counter") or {}
        count = counter.get("bytes", 0) if isinstance(counter, dict) else 0
        if isinstance(value, str) and isinstance(count, int):
            return value, count
    raise CounterFormatError(f"unexpected set element: {element!r}")


def parse_set_counters(text: str) -> dict[str, int]:
    """Map each element of the listed set to its counter's bytes (0 when it has no counter)."""
    try:
        document = json.loads(text)
        objects = document["nftables"]
    except (json.JSONDecodeError, TypeError, KeyError):
        raise CounterFormatError(f"not nft JSON output: {text[:80]!r}") from None
    sets = [entry["set"] for entry in objects if isinstance(entry, dict) and "set" in entry]
    if len(sets) != 1:
        raise CounterFormatError(f"expected one set in the nft output, found {len(sets)}")
    return dict(_element_bytes(element) for element in sets[0].get("elem", []))
