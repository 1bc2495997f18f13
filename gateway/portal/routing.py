"""Where a request goes, decided from its Host header alone: pure, so it is tested without HTTP.

The firewall sends every port-80 connection of a phone that is not admitted to the portal, so the
Host header is the only way to tell the portal's own pages from a phone's OS probe or from any
http site the phone opened.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlencode, urlsplit

# Longer addresses are dropped rather than carried: they would bloat the redirect and the form.
MAX_DESTINATION_LENGTH = 2048

RouteKind = Literal["portal", "to_splash", "blocked", "already_online"]


@dataclass(frozen=True)
class Route:
    """The decision for one request, with the host name and block category behind it."""

    kind: RouteKind
    host: str
    category: str | None = None


def normalise_host(host_header: str) -> str:
    """The host name of a Host header: lower case, without port, brackets or final dot."""
    host = host_header.strip().lower()
    if host.startswith("["):  # an IPv6 literal, "[::1]:80"
        return host[1:].partition("]")[0]
    return host.partition(":")[0].rstrip(".")


def route_request(
    host_header: str,
    portal_hosts: Collection[str],
    is_admitted: Callable[[], bool],
    blocked_category: Callable[[str], str | None],
) -> Route:
    """Decide where a request goes; asks about admission and blocking only when it matters."""
    host = normalise_host(host_header)
    # No Host at all (HTTP/1.0) cannot name a site to send the phone back to: show the portal.
    if not host or host in portal_hosts:
        return Route("portal", host)
    # Never a 200 here: Android and others read any 200 (even empty) as "online", and the
    # captive-portal sheet would never open.
    if not is_admitted():
        return Route("to_splash", host)
    category = blocked_category(host)
    if category is not None:
        return Route("blocked", host, category)
    # An admitted phone reaches us on a foreign name only through a stale DNS answer;
    # redirecting it to that same name would loop back here.
    return Route("already_online", host)


def safe_destination(dst: str, portal_hosts: Collection[str]) -> str | None:
    """The destination when it is an absolute http(s) address of another site, else None."""
    if not dst or len(dst) > MAX_DESTINATION_LENGTH:
        return None
    # Browsers read a backslash as a slash and skip control characters: refuse both outright.
    if any(ch.isspace() or ord(ch) < 0x20 or ch == "\\" for ch in dst):
        return None
    try:
        parts = urlsplit(dst)
        _ = parts.port  # raises ValueError on a port that is not a number
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    # "http://bank.example@evil.example/" shows one site and opens another.
    if parts.username is not None or parts.password is not None:
        return None
    if parts.hostname in portal_hosts:
        return None
    return dst


def splash_url(host_name: str, destination: str | None) -> str:
    """The splash address a captured request is sent to, carrying the page it asked for."""
    base = f"http://{host_name}/"
    if destination is None or len(destination) > MAX_DESTINATION_LENGTH:
        return base
    return f"{base}?{urlencode({'dst': destination})}"
