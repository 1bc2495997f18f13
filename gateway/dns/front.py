"""What every query meets first, before it is parsed into objects.

Who may ask, how often, and whether the very same question was just answered: only the
hotspot's own clients are answered (silence for the WAN side: not an open resolver, nothing to
amplify); a client over `[dns].rate_limit` gets REFUSED; a repeated plain question is answered
from the wire cache, a blocked name in bytes. Both run in one C call (FastAnswers) once the
server has given the Front its counters; the Python steps stay for what that call declines.
Everything else goes on to the resolver chain.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum
from typing import NamedTuple

from gateway.dns.counters import DnsCounters
from gateway.dns.fast_answers import FastAnswers
from gateway.dns.networks import NetworkSet
from gateway.dns.rate_limit import TokenBuckets
from gateway.dns.wire import SimpleQuery, parse_simple_query
from gateway.dns.wire_blocker import WireBlocker
from gateway.dns.wire_cache import Hit, WireCache

LOOPBACK = ("127.0.0.0/8", "::1/128")
OWN_ANSWERS = ("blocked", "special")  # replies the gateway writes itself, not from upstream
CACHEABLE = ("blocked", "special", "resolved", "cached")


class Admit(Enum):
    """What the front decided."""

    DROP = "dropped"
    REFUSE = "refused"
    ANSWERED = "answered"  # from the wire cache
    PASS = "pass"  # on to the chain


class Admission(NamedTuple):
    """The decision, the plain query if it was one, and the cached reply if there was one."""

    admit: Admit
    query: SimpleQuery | None = None
    hit: Hit | None = None
    generation: int = 0  # of the lists when admitted: an answer from older lists is not kept


class LaneParts(NamedTuple):
    """What the UDP listener's C callback needs to answer most queries itself (_udp_lane.c).

    `known` holds the access answers already worked out per client (absent: ask the Front);
    `answer` is FastAnswers.answer; `lists` the engine whose generation `sync` follows;
    `allow` and `exempt` the rate limit, `allow` None when it is off.
    """

    known: dict[str, bool]
    answer: Callable[[bytes, float], bytes | None]
    clock: Callable[[], float]
    lists: object
    sync: Callable[[], None]
    allow: Callable[[str], bool] | None
    exempt: NetworkSet


class Front:
    """Access, rate limit and the wire cache, in that order; all synchronous."""

    def __init__(
        self,
        client_networks: tuple[str, ...],
        rate_limit: int = 0,
        rate_limit_exempt: tuple[str, ...] = (),
        generation: Callable[[], int] = lambda: 0,
        cache: WireCache | None = None,
        blocker: WireBlocker | None = None,
    ) -> None:
        self.allowed = NetworkSet((*client_networks, *LOOPBACK))
        self.buckets = TokenBuckets(rate_limit) if rate_limit > 0 else None
        self.exempt = NetworkSet(rate_limit_exempt)
        self.generation = generation
        self.cache = cache
        self.blocker = blocker
        self.fast: FastAnswers | None = None
        self._lists_seen = -1  # the generation the caches and the fast answers were synced to

    def count_into(self, counters: DnsCounters) -> None:
        """Answer repeated and plainly blocked questions in C from now on, counted here."""
        if self.cache is not None and self.blocker is not None:
            self.fast = FastAnswers(self.cache, self.blocker, counters)
            self._lists_seen = -1

    def lane_parts(self) -> LaneParts | None:
        """What the UDP listener needs to answer in C; None when there are no fast answers."""
        fast, cache, blocker = self.fast, self.cache, self.blocker
        if fast is None or cache is None or blocker is None:
            return None
        allow = self.buckets.allow if self.buckets is not None else None
        return LaneParts(self.allowed.known, fast.answer, cache.clock, blocker.engine,
                         self.sync_lists, allow, self.exempt)  # fmt: skip

    def sync_lists(self) -> None:
        """Follow a change of the lists now (the listener's C callback calls it)."""
        if self.cache is not None:
            self._sync(self.cache)

    def admit(self, wire: bytes, client: str, charged: bool = False) -> Admission | bytes:
        """Decide one query from its bytes and its sender; bytes: answered and counted.

        `charged`: the listener already took this query's token from the client's bucket.
        """
        if client not in self.allowed:
            return Admission(Admit.DROP)
        buckets = self.buckets
        if (
            buckets is not None
            and not charged
            and client not in self.exempt
            and not buckets.allow(client)
        ):
            return Admission(Admit.REFUSE, parse_simple_query(wire))
        generation = 0
        cache = self.cache
        if cache is not None:
            generation = self._sync(cache)
            fast = self.fast
            if fast is not None:
                reply = fast.answer(wire, cache.clock())  # most queries end here
                if reply is not None:
                    return reply
            else:
                hit = cache.answer(wire)
                if hit is not None:
                    return Admission(Admit.ANSWERED, None, hit)
        query = parse_simple_query(wire)
        if query is not None and self.blocker is not None:
            hit = self.blocker.answer(query)
            if hit is not None:
                return Admission(Admit.ANSWERED, query, hit)
        return Admission(Admit.PASS, query, generation=generation)

    def _sync(self, cache: WireCache) -> int:
        """The lists' generation, after following a change in them."""
        generation = self.generation()
        if generation != self._lists_seen:
            cache.sync(generation)  # forget our own old answers
            if self.fast is not None:
                self.fast.use_current_lists()
            self._lists_seen = generation
        return generation

    def remember(
        self, admission: Admission, reply: bytes, outcome: str, category: str | None
    ) -> None:
        """Keep the chain's reply to a plain query for the next time it is asked."""
        query = admission.query
        if query is None or self.cache is None or outcome not in CACHEABLE:
            return
        if admission.generation != self.generation():
            return  # the lists changed while the chain was answering
        key = (query.question, query.has_opt)
        self.cache.put(key, reply, outcome, category, own_answer=outcome in OWN_ANSWERS)
