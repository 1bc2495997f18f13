"""Typed, validated gateway configuration loaded from TOML (see deploy/gateway.example.toml)."""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import netaddr

from filters.bundles.signing import BadKey, load_public_key, parse_public_key
from filters.sources import DEFAULTS_DIR, SourceSpec
from gateway.config_values import (
    ConfigError,
    as_address,
    as_bool,
    as_choice,
    as_duration,
    as_endpoint,
    as_host_name,
    as_int,
    as_list,
    as_network,
    as_path,
    as_port,
    as_size,
    as_str,
    as_text,
    as_url,
)

DEFAULT_CONFIG_PATH = Path("/etc/hotspot-gateway/gateway.toml")
LIST_FORMATS = ("auto", "domains", "hosts", "adblock", "dnsmasq", "rpz")
SOURCE_ACTIONS = ("block", "allow")
ALLOWLIST_CATEGORY = "allowlist"
DEFAULT_SOURCES_FILE = DEFAULTS_DIR / "sources.toml"

# A source as the config names it; the filters package owns the type.
SourceConfig = SourceSpec


@dataclass(frozen=True)
class NetworkConfig:
    """Interfaces and addresses of the gateway."""

    lan_interface: str = "eth1"
    wan_interface: str = "eth0"
    lan_address: str = "10.77.0.1"
    client_subnet: str = "10.77.0.0/24"


@dataclass(frozen=True)
class DnsConfig:
    """The filtering resolver."""

    listen: tuple[str, ...] = ("10.77.0.1:53",)
    upstreams: tuple[str, ...] = ("1.1.1.1:53", "8.8.8.8:53")
    blocked_answer: str = "blockpage"
    safesearch: bool = True
    rate_limit: int = 50
    rate_limit_exempt: tuple[str, ...] = ()
    query_log: bool = False
    query_log_days: int = 7


@dataclass(frozen=True)
class FirewallConfig:
    """nftables control and fair sharing of the uplink."""

    enabled: bool = True
    uplink_mbit: int = 0  # the WAN's upload speed, for cake on the WAN side; 0 = no shaping
    downlink_mbit: int = 0  # the WAN's download speed, for cake on the LAN side; 0 = no shaping


@dataclass(frozen=True)
class PortalConfig:
    """The captive portal and its session limits."""

    enabled: bool = True
    listen: str = "10.77.0.1:80"
    max_clients: int = 100
    idle_timeout: float = 15 * 60.0
    session_timeout: float = 12 * 3600.0
    language: str = "id"
    hotspot_name: str = "WiFi Publik"
    # The portal's own name; the resolver answers it with network.lan_address. With a city's own
    # domain and its certificate (tls_cert, tls_key), the portal also serves https and the RFC 8908
    # API, whose URL DHCP then hands out (option 114). Without them, no API URL is advertised.
    host_name: str = "portal.hotspot.internal"
    tls_cert: Path | None = None
    tls_key: Path | None = None
    https_port: int = 443
    venue_info_url: str = ""  # a page about the hotspot, for RFC 8908's venue-info-url
    report_contact: str = ""  # how residents report a wrong block: a number, an address


@dataclass(frozen=True)
class ProxyConfig:
    """The transparent SNI/HTTP proxy."""

    enabled: bool = True
    listen_port: int = 8443


@dataclass(frozen=True)
class BlocklistsConfig:
    """Blocklist sources, state directory and update limits."""

    state_dir: Path = Path("/var/lib/hotspot-gateway")
    categories: tuple[str, ...] = ("porn", "gambling", "malware", "phishing", "dns-bypass")
    sources: tuple[SourceConfig, ...] = ()
    keep_snapshots: int = 3
    fetch_timeout: float = 120.0
    fetch_retries: int = 3
    max_source_size: int = 1 << 30
    # A fleet's gateways take their lists from one publisher (`blocklist publish`) instead of
    # fetching the sources themselves: its https address, its Ed25519 public key (base64 or a
    # file), and a CA file when its certificate is not signed by one the system trusts.
    publisher_url: str = ""
    publisher_key: str = ""
    publisher_ca: Path | None = None


@dataclass(frozen=True)
class AdminConfig:
    """The staff console listener (management side only)."""

    listen: str = "127.0.0.1:8081"
    # With a certificate the console is https only, and its session cookie is marked Secure.
    tls_cert: Path | None = None
    tls_key: Path | None = None


@dataclass(frozen=True)
class GatewayConfig:
    """The whole configuration; each component receives only its own section."""

    network: NetworkConfig = field(default_factory=NetworkConfig)
    dns: DnsConfig = field(default_factory=DnsConfig)
    firewall: FirewallConfig = field(default_factory=FirewallConfig)
    portal: PortalConfig = field(default_factory=PortalConfig)
    proxy: ProxyConfig = field(default_factory=ProxyConfig)
    blocklists: BlocklistsConfig = field(default_factory=BlocklistsConfig)
    admin: AdminConfig = field(default_factory=AdminConfig)


Check = Callable[[str, Any], Any]
PATH_KEYS = {
    "blocklists": ("state_dir", "publisher_ca"),
    "portal": ("tls_cert", "tls_key"),
    "admin": ("tls_cert", "tls_key"),
}

_SCHEMA: dict[str, dict[str, Check]] = {
    "network": {
        "lan_interface": as_str,
        "wan_interface": as_str,
        "lan_address": as_address,
        "client_subnet": as_network,
    },
    "dns": {
        "listen": partial(as_list, item=as_endpoint),
        "upstreams": partial(as_list, item=as_endpoint),
        "blocked_answer": partial(as_choice, choices=("blockpage", "nxdomain", "null")),
        "safesearch": as_bool,
        "rate_limit": partial(as_int, minimum=0, maximum=1_000_000),
        "rate_limit_exempt": partial(as_list, item=as_network),
        "query_log": as_bool,
        "query_log_days": partial(as_int, minimum=1, maximum=366),
    },
    "firewall": {
        "enabled": as_bool,
        "uplink_mbit": partial(as_int, minimum=0, maximum=100_000),
        "downlink_mbit": partial(as_int, minimum=0, maximum=100_000),
    },
    "portal": {
        "enabled": as_bool,
        "listen": as_endpoint,
        "max_clients": partial(as_int, minimum=1, maximum=65_000),
        "idle_timeout": as_duration,
        "session_timeout": as_duration,
        "language": partial(as_choice, choices=("id", "en")),
        "hotspot_name": as_str,
        "host_name": as_host_name,
        "tls_cert": as_path,
        "tls_key": as_path,
        "https_port": as_port,
        "venue_info_url": as_url,
        "report_contact": as_text,
    },
    "proxy": {"enabled": as_bool, "listen_port": as_port},
    "blocklists": {
        "state_dir": as_path,
        "categories": partial(as_list, item=as_str),
        "sources": lambda key, value: value,  # checked by _sources, which needs the categories
        "keep_snapshots": partial(as_int, minimum=1, maximum=100),
        "fetch_timeout": as_duration,
        "fetch_retries": partial(as_int, minimum=0, maximum=10),
        "max_source_size": as_size,
        # https only: bundles are signed, and https also keeps an old index from being replayed
        "publisher_url": partial(as_url, schemes=("https",)),
        "publisher_key": as_text,
        "publisher_ca": as_path,
    },
    "admin": {"listen": as_endpoint, "tls_cert": as_path, "tls_key": as_path},
}

_SOURCE_SCHEMA: dict[str, Check] = {
    "name": as_str,
    "url": as_str,
    "category": as_str,
    "format": partial(as_choice, choices=LIST_FORMATS),
    "action": partial(as_choice, choices=SOURCE_ACTIONS),
}


def _checked_table(prefix: str, raw: Any, schema: Mapping[str, Check]) -> dict[str, Any]:
    """Check each key of one table against its schema; unknown keys are errors."""
    if not isinstance(raw, dict):
        raise ConfigError(f"{prefix}: expected a table, got {raw!r}")
    unknown = sorted(set(raw) - set(schema))
    if unknown:
        known = ", ".join(sorted(schema))
        raise ConfigError(f"{prefix}.{unknown[0]}: unknown key (known keys: {known})")
    return {key: schema[key](f"{prefix}.{key}", value) for key, value in raw.items()}


def _sources(
    raw: Any, categories: tuple[str, ...], key: str = "blocklists.sources"
) -> tuple[SourceConfig, ...]:
    if not isinstance(raw, list):
        raise ConfigError(f"{key}: expected [[blocklists.sources]] tables, got {raw!r}")
    seen: set[str] = set()
    sources = []
    for i, table in enumerate(raw):
        prefix = f"{key}[{i}]"
        values = _checked_table(prefix, table, _SOURCE_SCHEMA)
        if values.get("action") == "allow":
            values.setdefault("category", ALLOWLIST_CATEGORY)
        for required in ("name", "url", "category"):
            if required not in values:
                raise ConfigError(f"{prefix}.{required}: missing")
        source = SourceConfig(**values)
        if source.name in seen:
            raise ConfigError(f"{prefix}.name: duplicate source name {source.name!r}")
        if not source.name.replace("-", "").replace("_", "").isalnum():
            raise ConfigError(f"{prefix}.name: use letters, digits, - and _ only: {source.name!r}")
        seen.add(source.name)
        if source.action == "block" and source.category not in categories:
            raise ConfigError(
                f"{prefix}.category: {source.category!r} is not in blocklists.categories"
            )
        if not source.url.startswith(("https://", "http://", "file://")):
            raise ConfigError(f"{prefix}.url: must start with https://, http:// or file://")
        sources.append(source)
    return tuple(sources)


def parse_config(data: Mapping[str, Any], base_dir: Path | None = None) -> GatewayConfig:
    """Build a validated GatewayConfig from parsed TOML; relative paths resolve from base_dir."""
    unknown = sorted(set(data) - set(_SCHEMA))
    if unknown:
        raise ConfigError(f"[{unknown[0]}]: unknown section (known: {', '.join(_SCHEMA)})")
    parts: dict[str, Any] = {}
    for section, schema in _SCHEMA.items():
        values = _checked_table(section, data.get(section, {}), schema)
        if section == "blocklists":
            categories = values.get("categories", BlocklistsConfig.categories)
            values["sources"] = _sources(values.get("sources", []), categories)
        if section == "blocklists" and values.get("publisher_key") and base_dir is not None:
            values["publisher_key"] = _key_path(values["publisher_key"], base_dir)
        for key in PATH_KEYS.get(section, ()):
            path = values.get(key)
            if path is not None and not path.is_absolute() and base_dir is not None:
                values[key] = (base_dir / path).resolve()
        parts[section] = values
    config = GatewayConfig(
        network=NetworkConfig(**parts["network"]),
        dns=DnsConfig(**parts["dns"]),
        firewall=FirewallConfig(**parts["firewall"]),
        portal=PortalConfig(**parts["portal"]),
        proxy=ProxyConfig(**parts["proxy"]),
        blocklists=BlocklistsConfig(**parts["blocklists"]),
        admin=AdminConfig(**parts["admin"]),
    )
    _check_consistency(config)
    return config


def _key_path(text: str, base_dir: Path) -> str:
    """A key given as a file name is found from the config's directory, like other paths."""
    if parse_public_key(text) is not None or Path(text).is_absolute():
        return text
    return str((base_dir / text).resolve())


def _check_publisher(config: BlocklistsConfig) -> None:
    if config.publisher_url and not config.publisher_key:
        raise ConfigError(
            "blocklists.publisher_key: the publisher's public key is needed with publisher_url"
        )
    if config.publisher_key:
        try:
            load_public_key(config.publisher_key)
        except BadKey as exc:
            raise ConfigError(f"blocklists.publisher_key: {exc}") from None


def _check_consistency(config: GatewayConfig) -> None:
    """Checks that span keys: each error names the key to change."""
    net = config.network
    if netaddr.IPAddress(net.lan_address) not in netaddr.IPNetwork(net.client_subnet):
        raise ConfigError(
            f"network.lan_address: {net.lan_address} is outside network.client_subnet "
            f"{net.client_subnet}"
        )
    if config.portal.session_timeout < config.portal.idle_timeout:
        raise ConfigError("portal.session_timeout: must not be shorter than portal.idle_timeout")
    for section, tls in (("portal", config.portal), ("admin", config.admin)):
        if (tls.tls_cert is None) != (tls.tls_key is None):
            missing = "tls_key" if tls.tls_key is None else "tls_cert"
            raise ConfigError(
                f"{section}.{missing}: tls_cert and tls_key go together; set both or neither"
            )
    if len(set(config.blocklists.categories)) != len(config.blocklists.categories):
        raise ConfigError("blocklists.categories: a category is listed twice")
    admin_host = config.admin.listen.rpartition(":")[0].strip("[]")
    if (
        admin_host
        and netaddr.valid_ipv4(admin_host)
        and (netaddr.IPAddress(admin_host) in netaddr.IPNetwork(net.client_subnet))
    ):
        # Staff's console on the phones' own network: one stolen password from anywhere.
        raise ConfigError(
            f"admin.listen: {config.admin.listen} is on the hotspot LAN ({net.client_subnet}); "
            "use 127.0.0.1 or the management side's address"
        )
    _check_publisher(config.blocklists)


def load_config(path: Path) -> GatewayConfig:
    """Read and validate a TOML config file."""
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except FileNotFoundError:
        raise ConfigError(f"config file not found: {path}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from None
    try:
        return parse_config(data, base_dir=path.parent)
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc}") from None


def effective_sources(
    config: BlocklistsConfig, defaults: Path = DEFAULT_SOURCES_FILE
) -> tuple[SourceConfig, ...]:
    """The configured sources; the shipped defaults only when the config names none."""
    if config.sources:
        return config.sources
    try:
        data = tomllib.loads(defaults.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{defaults}: cannot read the default sources: {exc}") from None
    return _sources(data.get("sources", []), config.categories, key=f"{defaults.name}: sources")
