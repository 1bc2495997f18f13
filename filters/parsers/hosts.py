"""Hosts files: `0.0.0.0 a b c`, `127.0.0.1 a`, `:: a`, with `#` comments anywhere."""

from __future__ import annotations

import ipaddress

from filters.parsers.base import Ignored, RawEntries, Rejected

# The lines every hosts file carries for the machine itself; they are not blocks.
LOCAL_NAMES = frozenset(
    {
        "localhost",
        "localhost.localdomain",
        "local",
        "broadcasthost",
        "ip6-localhost",
        "ip6-loopback",
        "ip6-localnet",
        "ip6-mcastprefix",
        "ip6-allnodes",
        "ip6-allrouters",
        "ip6-allhosts",
        "0.0.0.0",
    }
)
_COMMON_SINKS = frozenset({"0.0.0.0", "127.0.0.1", "::", "::1", "0"})


def parse_hosts_line(line: str) -> RawEntries:
    """An address followed by one or more names; localhost lines are ignored."""
    if "#" in line:
        line = line.split("#", 1)[0]
    words = line.split()
    if not words:
        return ()
    address, names = words[0], words[1:]
    if address not in _COMMON_SINKS:
        try:
            ipaddress.ip_address(address.split("%", 1)[0])
        except ValueError:
            raise Rejected("hosts line without an address") from None
    if not names:
        raise Rejected("hosts line without a name")
    blocked = [(name, 0) for name in names if name.lower() not in LOCAL_NAMES]
    if not blocked:
        raise Ignored("localhost line")
    return blocked
