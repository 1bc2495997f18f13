"""Finished replies by question, so a repeated question is answered from bytes alone.

Building dnslib objects costs tens of microseconds a query; most questions on a hotspot repeat
(the same apps on a hundred phones). Replies the gateway wrote itself (blocked, special names)
stay valid until the lists change, which `sync(generation)` notices; replies from upstreams
live for their smallest TTL and age on the way out, like any cache.
"""

from __future__ import annotations

import struct
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

from gateway.dns.wire import HEADER, ttl_offsets, with_id_and_ttl

CLASSIC_UDP_PAYLOAD = 512
MAX_ENTRIES = 20_000  # the names a hotspot's phones repeat; each entry is a few hundred bytes

Key = tuple[bytes, bool]  # the question exactly as sent, and whether the query had EDNS


@dataclass(slots=True)
class _Stored:
    wire: bytes
    offsets: tuple[int, ...]
    stored: float
    ttl: int | None  # None: the gateway's own answer, valid until the lists change
    outcome: str
    category: str | None


class Hit(NamedTuple):
    """A reply ready to send, and what it was, for the counters."""

    wire: bytes
    outcome: str
    category: str | None


class WireCache:
    """Bounded LRU of finished replies keyed by question bytes."""

    def __init__(
        self, clock: Callable[[], float] = time.monotonic, max_entries: int = MAX_ENTRIES
    ) -> None:
        self.clock = clock
        self.max_entries = max_entries
        self._entries: OrderedDict[Key, _Stored] = OrderedDict()
        self._generation = 0

    def __len__(self) -> int:
        return len(self._entries)

    def sync(self, generation: int) -> None:
        """Forget everything when the blocklists have changed since the last call."""
        if generation != self._generation:
            self._entries.clear()
            self._generation = generation

    def get(self, key: Key, qid: int) -> Hit | None:
        """The stored reply under a new ID, TTLs aged; None if absent or expired."""
        entry = self._entries.get(key)
        if entry is None:
            return None
        ttl = None
        if entry.ttl is not None:
            ttl = int(entry.stored + entry.ttl - self.clock())
            if ttl <= 0:
                del self._entries[key]
                return None
        self._entries.move_to_end(key)
        return Hit(with_id_and_ttl(entry.wire, qid, entry.offsets, ttl), entry.outcome,
                   entry.category)  # fmt: skip

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
        self._entries[key] = _Stored(wire, offsets, self.clock(), ttl, outcome, category)
        self._entries.move_to_end(key)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)
