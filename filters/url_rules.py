"""Entries that name an address or a page rather than a whole name, in their canonical form.

Lists carry more than names: TrustPositif publishes blocked IP addresses, and some lists name one
page of an otherwise innocent site (`example.com/judi`). The proxy needs both: an address for a
TLS connection without a server name, a path for a plain HTTP request. A list line becomes one
entry string: the network ("203.0.113.0/24", "2001:db8::1/128") or the host and the path
("example.com/judi").
"""

from __future__ import annotations

import ipaddress
from urllib.parse import unquote, urlsplit

from filters.names import InvalidName, normalise_name

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_network(text: str) -> Network | None:
    """The network an address or CIDR entry names, or None when `text` is not one.

    Host bits after the prefix are dropped ("10.1.2.3/24" is 10.1.2.0/24): the list means the
    network, and refusing the line would lose it.
    """
    # A cheap look first: most lines are names, and ipaddress is slow to say no.
    if ":" not in text and not text.replace(".", "").replace("/", "").isdigit():
        return None
    try:
        return ipaddress.ip_network(text.strip("[]"), strict=False)
    except ValueError:
        return None


def canonical_network(text: str) -> str:
    """The entry string of an address or network; InvalidName when it is neither."""
    network = parse_network(text)
    if network is None:
        raise InvalidName("invalid address")
    # One address is written as lists write it: "192.0.2.1", not "192.0.2.1/32".
    return str(network.network_address) if network.num_addresses == 1 else str(network)


def normalise_target(target: str) -> str:
    """A request's path and query as rules are compared with it.

    Percent-escapes are decoded and dot segments and doubled slashes removed, because servers do
    the same: "/x/../%4Audi" reaches the same page as "/judi". Letters are lowered, so a server
    that ignores case cannot be reached around a rule by "/JUDI".
    """
    path, sep, query = target.partition("?")
    path = path.partition("#")[0]
    segments: list[str] = []
    for segment in unquote(path).split("/"):
        if segment == "..":
            if segments:
                segments.pop()
        elif segment not in ("", "."):
            segments.append(segment)
    trailing = "/" if segments and path.endswith("/") else ""
    normal = "/" + "/".join(segments) + trailing
    if sep:
        normal += "?" + unquote(query.partition("#")[0])
    return normal.lower()


def canonical_page(text: str) -> str:
    """The entry string of a page rule ("host/path", from a URL or "host/path").

    InvalidName when the host is not a name or the rule has no path.
    """
    raw = text.strip()
    if "://" in raw:
        parts = urlsplit(raw)
        if parts.scheme.lower() not in ("http", "https"):
            raise InvalidName("address of a scheme other than http or https")
        host, target = parts.hostname or "", parts.path + ("?" + parts.query if parts.query else "")
        if ":" in parts.netloc.rpartition("@")[2]:
            host += ":"  # a port: refused below, as for "host:port/path"
    else:
        host, slash, rest = raw.partition("/")
        target = slash + rest
    if ":" in host:
        raise InvalidName("port rule")
    target = normalise_target(target)
    if target == "/":
        raise InvalidName("page rule without a path")
    return normalise_name(host) + target


def split_page(entry: str) -> tuple[str, str]:
    """The host and the normalised target of a page entry."""
    host, slash, target = entry.partition("/")
    return host, slash + target
