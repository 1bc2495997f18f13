"""Answer cache: TTL-respecting, negative caching (RFC 2308) and serve-stale (RFC 8767).

Entries live for the smallest TTL of their records (for a negative answer, the SOA's minimum),
capped; expired entries are kept a while longer and served, with a short TTL, only when every
upstream has failed, so a broken uplink does not take every name down with it at once.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from dnslib import QTYPE, RCODE, RR, DNSRecord

from gateway.dns.answers import reply_with
from gateway.dns.counters import DnsCounters
from gateway.dns.model import DnsRequest, DnsResponse, Outcome
from gateway.dns.resolver import ChainedResolver, Resolver

MAX_TTL = 86400  # trust no record for longer than a day
NEGATIVE_MAX_TTL = 3600  # RFC 2308 suggests at most hours for negative answers
STALE_FOR = 86400  # RFC 8767: keep expired answers this long for emergencies
STALE_TTL = 30  # RFC 8767: the TTL a stale answer is served with
MAX_ENTRIES = 100_000  # about 100 phones never need more; bounded so memory is too


@dataclass
class _Entry:
    rcode: int
    answer: list[RR]
    authority: list[RR]
    stored: float
    ttl: int


def _ttl_of(reply: DNSRecord) -> int | None:
    """How long a reply may be cached, or None if it must not be."""
    if reply.header.tc or reply.header.rcode not in (RCODE.NOERROR, RCODE.NXDOMAIN):
        return None
    if reply.rr:
        return int(min(MAX_TTL, *(rr.ttl for rr in reply.rr)))
    soas = [rr for rr in reply.auth if rr.rtype == QTYPE.SOA]
    if not soas:
        return None  # a negative answer without an SOA may not be cached (RFC 2308 s5)
    soa = soas[0]
    return int(min(NEGATIVE_MAX_TTL, soa.ttl, soa.rdata.times[-1]))


def _aged(records: list[RR], ttl: int) -> list[RR]:
    return [RR(rr.rname, rr.rtype, rr.rclass, ttl, rr.rdata) for rr in records]


class CachingResolver(ChainedResolver):
    """Serves cached answers; asks the next resolver on a miss and remembers what it says."""

    def __init__(
        self,
        next_resolver: Resolver,
        counters: DnsCounters,
        clock: Callable[[], float] = time.monotonic,
        max_entries: int = MAX_ENTRIES,
    ) -> None:
        super().__init__(next_resolver)
        self.counters = counters
        self.clock = clock
        self.max_entries = max_entries
        self._entries: OrderedDict[tuple[str, int, int], _Entry] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    async def resolve(self, request: DnsRequest) -> DnsResponse:
        """Cached if fresh; else upstream, falling back to a stale copy if that fails."""
        q = request.message.q
        key = (str(q.qname).lower(), q.qtype, q.qclass)
        now = self.clock()
        entry = self._entries.get(key)
        if entry is not None:
            left = int(entry.stored + entry.ttl - now)
            if left > 0:
                self._entries.move_to_end(key)
                self.counters.cache_hits += 1
                return DnsResponse(self._reply(request, entry, left), Outcome.CACHED, "cached")
        response = await self.next.resolve(request)
        stale_ok = entry is not None and now - (entry.stored + entry.ttl) < STALE_FOR
        if response.outcome is Outcome.SERVFAIL and entry is not None and stale_ok:
            reply = self._reply(request, entry, STALE_TTL)
            return DnsResponse(reply, Outcome.STALE, "stale: every upstream failed")
        if response.outcome is Outcome.RESOLVED:
            self._store(key, response.message, now)
        return response

    def _store(self, key: tuple[str, int, int], reply: DNSRecord, now: float) -> None:
        ttl = _ttl_of(reply)
        if ttl is None or ttl <= 0:
            return
        self._entries[key] = _Entry(reply.header.rcode, list(reply.rr), list(reply.auth), now, ttl)
        self._entries.move_to_end(key)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)  # least recently used

    def _reply(self, request: DnsRequest, entry: _Entry, ttl: int) -> DNSRecord:
        reply = reply_with(request.message, entry.rcode)
        for rr in _aged(entry.answer, ttl):
            reply.add_answer(rr)
        for rr in _aged(entry.authority, ttl):
            reply.add_auth(rr)
        return reply
