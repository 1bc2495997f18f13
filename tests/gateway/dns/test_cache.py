"""The cache in front of a real upstream on loopback: TTLs, negative caching, serve-stale."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from dnslib import QTYPE, RCODE, DNSRecord

from gateway.dns.cache import STALE_TTL, CachingResolver
from gateway.dns.counters import DnsCounters
from gateway.dns.model import DnsRequest, Outcome, Transport
from gateway.dns.upstream import Upstream, UpstreamResolver
from tests.gateway.dns.fake_upstream import FakeUpstream, start_fake_upstream, stop_fake_upstream


class FakeClock:
    def __init__(self) -> None:
        self.now = 5000.0

    def __call__(self) -> float:
        return self.now


Ask = Callable[[str], Awaitable[tuple[DNSRecord, Outcome]]]


def run(scenario: Callable[[Ask, FakeUpstream, FakeClock, CachingResolver], Awaitable[None]]):
    async def main() -> None:
        fake = FakeUpstream()
        closers = await start_fake_upstream(fake)
        counters, clock = DnsCounters(), FakeClock()
        upstream = UpstreamResolver([Upstream("127.0.0.1", fake.port)], counters, timeout=0.3)
        cache = CachingResolver(upstream, counters, clock=clock, max_entries=3)

        async def ask(name: str, qtype: str = "A") -> tuple[DNSRecord, Outcome]:
            query = DNSRecord.question(name, qtype)
            response = await cache.resolve(DnsRequest("10.77.0.9", Transport.UDP, query))
            assert response.message.header.id == query.header.id
            return response.message, response.outcome

        try:
            await scenario(ask, fake, clock, cache)
        finally:
            await stop_fake_upstream(closers)

    asyncio.run(main())


def test_answers_are_cached_for_their_ttl_and_age_on_the_way() -> None:
    async def scenario(ask: Ask, fake: FakeUpstream, clock: FakeClock, cache: CachingResolver):
        first, outcome = await ask("www.example.test")
        assert outcome is Outcome.RESOLVED and first.rr[0].ttl == 60
        clock.now += 45
        second, outcome = await ask("WWW.Example.TEST")
        assert outcome is Outcome.CACHED and second.rr[0].ttl == 15
        assert str(second.rr[0].rdata) == "192.0.2.1"
        clock.now += 20  # past the TTL: asked again
        _, outcome = await ask("www.example.test")
        assert outcome is Outcome.RESOLVED
        assert len(fake.queries) == 2

    run(scenario)


def test_negative_answers_are_cached_by_the_soa_minimum() -> None:
    async def scenario(ask: Ask, fake: FakeUpstream, clock: FakeClock, cache: CachingResolver):
        reply, _ = await ask("nx.example.test")
        assert reply.header.rcode == RCODE.NXDOMAIN
        clock.now += 29
        reply, outcome = await ask("nx.example.test")
        assert outcome is Outcome.CACHED and reply.header.rcode == RCODE.NXDOMAIN
        assert reply.auth[0].rtype == QTYPE.SOA
        clock.now += 2
        _, outcome = await ask("nx.example.test")
        assert outcome is Outcome.RESOLVED

    run(scenario)


def test_stale_answers_are_served_only_when_every_upstream_fails() -> None:
    async def scenario(ask: Ask, fake: FakeUpstream, clock: FakeClock, cache: CachingResolver):
        await ask("shop.example.test")
        clock.now += 3600  # long expired
        fake.silent = True  # and the uplink is down
        stale, outcome = await ask("shop.example.test")
        assert outcome is Outcome.STALE and stale.rr[0].ttl == STALE_TTL
        never_seen, outcome = await ask("new.example.test")
        assert outcome is Outcome.SERVFAIL and never_seen.header.rcode == RCODE.SERVFAIL
        _, outcome = await ask("new.example.test")
        assert outcome is Outcome.SERVFAIL  # failures are not cached

    run(scenario)


def test_the_cache_is_bounded_and_evicts_the_least_recently_used() -> None:
    async def scenario(ask: Ask, fake: FakeUpstream, clock: FakeClock, cache: CachingResolver):
        for name in ("a.test", "b.test", "c.test"):
            await ask(name)
        await ask("a.test")  # a is now the most recent
        await ask("d.test")  # evicts b
        assert len(cache) == 3
        assert (await ask("a.test"))[1] is Outcome.CACHED
        assert (await ask("b.test"))[1] is Outcome.RESOLVED

    run(scenario)
