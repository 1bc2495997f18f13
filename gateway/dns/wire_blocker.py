"""The Front's blocking step: the engine's verdict for a plain question, answered in bytes."""

from __future__ import annotations

import struct

from filters.engine import BlocklistEngine
from gateway.dns.blocked_wire import blocked_wire
from gateway.dns.special_names import CANARY_NAMES
from gateway.dns.wire import SimpleQuery
from gateway.dns.wire_cache import Hit


class WireBlocker:
    """The Front's blocking step: the engine's verdict, answered in bytes when blocked."""

    def __init__(
        self, engine: BlocklistEngine, mode: str, lan_address: str, portal_names: tuple[str, ...]
    ) -> None:
        self.engine = engine
        self.mode = mode
        self.lan_address = lan_address
        # Names the chain answers before blocking must still reach it.
        self.before_blocking = CANARY_NAMES | {n.lower().rstrip(".") for n in portal_names}

    def answer(self, query: SimpleQuery) -> Hit | None:
        """The blocked reply, or None when the name is not blocked (or not for this step)."""
        name = query.name
        if name is None or name in self.before_blocking:
            return None
        verdict = self.engine.lookup(name)
        if not verdict.blocked:
            return None
        category = verdict.category or "blocked"
        qtype = struct.unpack_from("!H", query.question, len(query.question) - 4)[0]
        wire = blocked_wire(query.qid, bool(query.flags & 0x0100), query.question, qtype,
                            query.has_opt, self.mode, self.lan_address, category,
                            verdict.listed or name, name)  # fmt: skip
        return Hit(wire, "blocked", category)
