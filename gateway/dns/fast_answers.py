"""The Front's common answers in one C call: repeated questions and plainly blocked names.

`_fast_answers.c` does what WireCache.answer and WireBlocker.answer do for the queries that
need no judgement, without Python frames; at a low query rate those frames, on cold CPU
caches, were most of our tail above unbound's. It writes blocked replies from the same parts
as `blocked_wire` and counts into the same counters; whatever it declines goes the Python way.
"""

from __future__ import annotations

from filters.engine import BlocklistEngine
from gateway.dns._fast_answers import FastAnswers as _CFastAnswers
from gateway.dns.blocked_wire import AAAA_NULL, SOA_TAIL, a_answer, opt_blocked
from gateway.dns.counters import DnsCounters
from gateway.dns.wire_blocker import WireBlocker
from gateway.dns.wire_cache import WireCache

MODES = {"nxdomain": 0, "blockpage": 1, "null": 2}


class FastAnswers:
    """The wire cache and the blocked answers needing no exception or staff edit, counted alike."""

    def __init__(self, cache: WireCache, blocker: WireBlocker, counters: DnsCounters) -> None:
        self.engine: BlocklistEngine = blocker.engine
        a_record = a_answer(blocker.lan_address if blocker.mode == "blockpage" else "0.0.0.0")
        skip = tuple(sorted(name.encode("ascii", "replace") for name in blocker.before_blocking))
        self._lane = _CFastAnswers(
            cache.lookup, counters.answered, counters.blocked, skip, MODES[blocker.mode],
            a_record, AAAA_NULL, SOA_TAIL,
        )  # fmt: skip
        self.answer = self._lane.answer  # (wire, now) -> bytes | None: bound once, called per query
        self.use_current_lists()

    def use_current_lists(self) -> None:
        """Answer from the engine's lists in force now (after a swap or a staff edit)."""
        match_both, overlay, snapshot = self.engine.fast_lists()
        if snapshot is None:
            self._lane.use(None, None, b"", b"", (), ())
            return
        pairs, blocking, categories = snapshot.fast_tables
        opts = tuple(opt_blocked(category) for category in categories)
        self._lane.use(match_both, overlay, pairs, blocking, categories, opts)
