"""Finished replies by question, so a repeated question is answered from bytes alone.

Building dnslib objects costs tens of microseconds a query; most questions on a hotspot repeat
(the same apps on a hundred phones). Replies the gateway wrote itself (blocked, special names)
stay valid until the lists change, which `sync(generation)` notices; replies from upstreams
live for their smallest TTL and age on the way out, like any cache.
"""

from __future__ import annotations

import struct
import time
from collections.abc import Callable
from typing import NamedTuple

from gateway.dns._reply_table import ReplyTable
from gateway.dns.wire import HEADER, ttl_offsets

CLASSIC_UDP_PAYLOAD = 512
MAX_ENTRIES = 20_000  # the names a hotspot's phones repeat; each entry is a few hundred bytes

Key = tuple[bytes, bool]  # the question exactly as sent, and whether the query had EDNS


class Hit(NamedTuple):
    """A reply ready to send, and what it was, for the counters."""

    wire: bytes
    outcome: str
    category: str | None


class WireCache:
    """Bounded LRU of finished replies keyed by question bytes (the table is in C)."""

    def __init__(
        self, clock: Callable[[], float] = time.monotonic, max_entries: int = MAX_ENTRIES
    ) -> None:
        self.clock = clock
        self.max_entries = max_entries
        self._table = ReplyTable(max_entries)
        self._generation = 0

    def __len__(self) -> int:
        return len(self._table)

    def sync(self, generation: int) -> None:
        """Forget everything when the blocklists have changed since the last call."""
        if generation != self._generation:
            self._table.clear()
            self._generation = generation

    @property
    def lookup(self) -> Callable[[bytes, float], tuple[bytes, str, str | None] | None]:
        """The table's own lookup: (wire, now) to a stored reply; for callers in C."""
        return self._table.lookup

    def answer(self, wire: bytes) -> Hit | None:
        """The stored reply to this query under its ID, TTLs aged; None if absent or expired."""
        found = self._table.lookup(wire, self.clock())
        return None if found is None else Hit(*found)

    def put(
        self, key: Key, wire: bytes, outcome: str, category: str | None, own_answer: bool
    ) -> None:
        """Remember a reply if it is small, complete, and not an error."""
        if len(wire) > CLASSIC_UDP_PAYLOAD or len(wire) < HEADER.size:
            return
        flags = struct.unpack_from("!H", wire, 2)[0]
        if flags & 0x0200 or (flags & 0x000F) not in (0, 3):  # truncated, or not NOERROR/NX
            return
        offsets = ttl_offsets(wire)
        if offsets is None:
            return
        ttl = None
        if not own_answer:
            if not offsets:
                return  # nothing says how long it may be kept
            ttl = min(struct.unpack_from("!I", wire, o)[0] for o in offsets)
            if ttl <= 0:
                return
        question, has_opt = key
        self._table.store(question, has_opt, wire, offsets, self.clock(), ttl, outcome, category)
