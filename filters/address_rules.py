"""Which listed network covers an address: for connections that name no server.

Address entries are few (TrustPositif's address list has thousands, not millions), so they
live in the snapshot's metadata and are indexed here when it loads: one dict per prefix length,
looked up from the longest prefix down.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

from filters.parsers.base import EXCEPTION

# (entry as listed, source index, flags): what decided, for the verdict.
AddressEntry = tuple[str, int, int]


def _rank(entry: AddressEntry, prefix_len: int) -> tuple[int, int, int]:
    """Lower wins: exceptions beat blocks, then the longer prefix, then the earlier source."""
    _listed, source, flags = entry
    return (0 if flags & EXCEPTION else 1, -prefix_len, source)


class AddressRules:
    """Longest-prefix lookup of IPv4 and IPv6 addresses in listed networks."""

    def __init__(self, entries: Iterable[AddressEntry]) -> None:
        # (version, prefix length) -> {network bits: the best entry with that network}
        self._tables: dict[tuple[int, int], dict[int, AddressEntry]] = {}
        for entry in entries:
            network = ipaddress.ip_network(entry[0], strict=False)
            table = self._tables.setdefault((network.version, network.prefixlen), {})
            key = int(network.network_address) >> (network.max_prefixlen - network.prefixlen)
            held = table.get(key)
            if held is None or _rank(entry, 0) < _rank(held, 0):
                table[key] = entry
        # Longest first, so a lookup can stop early once an exception has been found.
        self._order = sorted(self._tables, key=lambda k: (k[0], -k[1]))
        self.count = sum(len(t) for t in self._tables.values())

    def __len__(self) -> int:
        return self.count

    def match(self, address: str) -> AddressEntry | None:
        """The entry that decides `address`, or None (also for a string that is no address)."""
        if not self._tables:
            return None
        try:
            ip = ipaddress.ip_address(address.strip("[]").split("%", 1)[0])
        except ValueError:
            return None
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped  # a dual-stack socket reports IPv4 peers as ::ffff:a.b.c.d
        value, bits = int(ip), ip.max_prefixlen
        best: AddressEntry | None = None
        best_rank = (2, 0, 0)
        for version, prefix_len in self._order:
            if version != ip.version:
                continue
            entry = self._tables[(version, prefix_len)].get(value >> (bits - prefix_len))
            if entry is not None and _rank(entry, prefix_len) < best_rank:
                best, best_rank = entry, _rank(entry, prefix_len)
        return best
