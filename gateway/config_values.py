"""Parsers for single config values; each raises ConfigError naming the key it was given."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import netaddr

T = TypeVar("T")


class ConfigError(ValueError):
    """A config file or value is wrong; the message names the key and says what is expected."""


_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$")
_LABEL = re.compile(r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?")
_UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, None: 1.0}


def as_bool(key: str, value: Any) -> bool:
    """A TOML boolean."""
    if not isinstance(value, bool):
        raise ConfigError(f"{key}: expected true or false, got {value!r}")
    return value


def as_str(key: str, value: Any) -> str:
    """A non-empty string."""
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{key}: expected a non-empty string, got {value!r}")
    return value


def as_text(key: str, value: Any) -> str:
    """A string, possibly empty."""
    if not isinstance(value, str):
        raise ConfigError(f"{key}: expected a string, got {value!r}")
    return value


def as_int(key: str, value: Any, minimum: int = 0, maximum: int | None = None) -> int:
    """An integer within bounds."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError(f"{key}: expected a whole number, got {value!r}")
    if value < minimum or (maximum is not None and value > maximum):
        upper = "" if maximum is None else f" and at most {maximum}"
        raise ConfigError(f"{key}: must be at least {minimum}{upper}, got {value}")
    return value


def as_duration(key: str, value: Any) -> float:
    """A duration such as "15m", "12h", "30s" or a number of seconds; returns seconds."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        seconds = float(value)
    elif isinstance(value, str) and (m := _DURATION.match(value)):
        seconds = float(m.group(1)) * _UNIT_SECONDS[m.group(2)]
    else:
        raise ConfigError(f'{key}: expected a duration like "30s", "15m" or "12h", got {value!r}')
    if seconds <= 0:
        raise ConfigError(f"{key}: must be longer than zero, got {value!r}")
    return seconds


def as_choice(key: str, value: Any, choices: tuple[str, ...]) -> str:
    """One of a fixed set of words."""
    if value not in choices:
        raise ConfigError(f"{key}: expected one of {', '.join(choices)}, got {value!r}")
    return str(value)


def as_address(key: str, value: Any) -> str:
    """An IPv4 or IPv6 address, returned in canonical form."""
    try:
        return str(netaddr.IPAddress(as_str(key, value).strip()))
    except (netaddr.AddrFormatError, ValueError, TypeError):
        raise ConfigError(f"{key}: expected an IP address, got {value!r}") from None


def as_network(key: str, value: Any) -> str:
    """A network in CIDR notation such as "10.77.0.0/24"."""
    text = as_str(key, value).strip()
    try:
        net = netaddr.IPNetwork(text)
    except (netaddr.AddrFormatError, ValueError, TypeError):
        raise ConfigError(f"{key}: expected a network like 10.77.0.0/24, got {value!r}") from None
    return str(net)


def as_endpoint(key: str, value: Any) -> str:
    """An "address:port" pair ("[v6]:port" for IPv6), returned canonical."""
    text = as_str(key, value).strip()
    m = re.fullmatch(r"\[([0-9a-fA-F:.]+)\]:(\d+)|([0-9.]+):(\d+)", text)
    if not m:
        raise ConfigError(f'{key}: expected "address:port" such as "10.77.0.1:53", got {value!r}')
    address = as_address(key, m.group(1) or m.group(3))
    port = int(m.group(2) or m.group(4))
    if not 1 <= port <= 65535:
        raise ConfigError(f"{key}: port must be 1-65535, got {port}")
    return f"[{address}]:{port}" if ":" in address else f"{address}:{port}"


def as_port(key: str, value: Any) -> int:
    """A TCP or UDP port number."""
    return as_int(key, value, minimum=1, maximum=65535)


def as_path(key: str, value: Any) -> Path:
    """An absolute or config-relative filesystem path (made absolute by the loader)."""
    return Path(as_str(key, value))


def as_list(key: str, value: Any, item: Callable[[str, Any], T]) -> tuple[T, ...]:
    """A TOML array whose items are each checked by `item`, named key[i] in errors."""
    if not isinstance(value, list):
        raise ConfigError(f"{key}: expected a list, got {value!r}")
    return tuple(item(f"{key}[{i}]", v) for i, v in enumerate(value))


def as_size(key: str, value: Any) -> int:
    """A size such as "512MB" or a number of bytes."""
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return value
    m = re.fullmatch(r"\s*(\d+)\s*(B|KB|MB|GB)?\s*", value) if isinstance(value, str) else None
    if not m:
        raise ConfigError(f'{key}: expected a size like "512MB", got {value!r}')
    scale = {"B": 1, "KB": 1 << 10, "MB": 1 << 20, "GB": 1 << 30, None: 1}[m.group(2)]
    return int(m.group(1)) * scale


def as_host_name(key: str, value: Any) -> str:
    """A DNS host name such as "portal.hotspot.internal", returned lowercase."""
    text = as_str(key, value).strip().rstrip(".").lower()
    labels = text.split(".")
    if len(text) > 253 or len(labels) < 2 or not all(_LABEL.fullmatch(x) for x in labels):
        raise ConfigError(f'{key}: expected a host name like "wifi.example.go.id", got {value!r}')
    return text


def as_url(key: str, value: Any, schemes: tuple[str, ...] = ("http", "https")) -> str:
    """A URL with one of `schemes`, or "" for none."""
    if value == "":
        return ""
    text = as_str(key, value).strip()
    if not re.fullmatch(rf"({'|'.join(schemes)})://[^\s/]+(/\S*)?", text):
        wanted = " or ".join(f"{scheme}://" for scheme in schemes)
        raise ConfigError(f"{key}: expected an {wanted} address, got {value!r}")
    return text
