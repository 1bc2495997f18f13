"""Abuse controls: the per-client rate limit and refusing anyone outside the hotspot."""

from __future__ import annotations

import asyncio
from pathlib import Path

from dnslib import RCODE, DNSRecord

from gateway.config import DnsConfig, NetworkConfig
from gateway.dns.chain import build_chain, build_front
from gateway.dns.counters import DnsCounters
from gateway.dns.model import Transport
from gateway.dns.networks import MEMO_LIMIT, NetworkSet
from gateway.dns.rate_limit import TokenBuckets
from gateway.dns.server import DnsServer
from tests.filters.builders import engine_for, spec


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_token_bucket_allows_a_burst_then_the_rate() -> None:
    clock = FakeClock()
    buckets = TokenBuckets(rate=5, clock=clock)
    assert sum(buckets.allow("10.77.0.9") for _ in range(20)) == 10  # two seconds' worth
    assert not buckets.allow("10.77.0.9")
    assert buckets.allow("10.77.0.10")  # other phones are not affected
    clock.now += 1.0
    assert sum(buckets.allow("10.77.0.9") for _ in range(20)) == 5
    clock.now += 120
    buckets.allow("10.77.0.11")
    assert len(buckets) == 1  # idle clients are forgotten


def answers(state_dir: Path, queries: list[tuple[str, str]], **dns_kw: object) -> list[int | None]:
    """Rcodes (None: no reply) for (client, name) queries through the real chain and server."""
    engine = engine_for(state_dir, [(spec("judi", "gambling"), "judi.test\n")])
    counters = DnsCounters()
    # Upstream on a closed loopback port: every forwarded name fails fast as SERVFAIL.
    config = DnsConfig(upstreams=("127.0.0.1:9",), **dns_kw)  # type: ignore[arg-type]
    chain = build_chain(config, NetworkConfig(), engine, counters, upstream_timeout=0.2)
    server = DnsServer(chain, counters, build_front(config, NetworkConfig(), engine))

    async def main() -> list[int | None]:
        out: list[int | None] = []
        for client, name in queries:
            wire = bytes(DNSRecord.question(name).pack())
            reply = await server.answer(wire, client, Transport.UDP)
            out.append(None if reply is None else DNSRecord.parse(reply).header.rcode)
        return out

    return asyncio.run(main())


def test_clients_outside_the_hotspot_get_no_answer_at_all(state_dir: Path) -> None:
    rcodes = answers(
        state_dir,
        [("203.0.113.7", "judi.test"), ("10.77.0.20", "judi.test"), ("127.0.0.1", "judi.test")],
    )
    assert rcodes == [None, RCODE.NOERROR, RCODE.NOERROR]


def test_a_flooding_phone_is_refused_while_others_are_served(state_dir: Path) -> None:
    flood = [("10.77.0.30", "judi.test")] * 30 + [("10.77.0.31", "judi.test")]
    rcodes = answers(state_dir, flood, rate_limit=5)
    assert rcodes[:10] == [RCODE.NOERROR] * 10  # the burst allowance
    # Then refused; the bucket refills at 5/s, so a slow machine may let one or two through.
    assert rcodes[10:30].count(RCODE.REFUSED) >= 15
    assert rcodes[30] == RCODE.NOERROR


def test_exempt_networks_and_rate_zero_are_never_limited(state_dir: Path) -> None:
    flood = [("10.77.0.2", "judi.test")] * 30
    exempt = answers(state_dir, flood, rate_limit=5, rate_limit_exempt=("10.77.0.2/32",))
    assert set(exempt) == {RCODE.NOERROR}
    off = answers(state_dir / "off", [("10.77.0.40", "judi.test")] * 30, rate_limit=0)
    assert set(off) == {RCODE.NOERROR}


def test_network_set_answers_like_netaddr_and_stays_bounded() -> None:
    nets = NetworkSet(("10.77.0.0/24", "::1/128"))
    assert "10.77.0.200" in nets and "::1" in nets
    assert "10.77.1.1" not in nets and "not-an-address" not in nets
    strangers = [f"10.1.{i // 256}.{i % 256}" for i in range(MEMO_LIMIT + 10)]
    assert not any(address in nets for address in strangers)
    assert len(nets._memo) <= MEMO_LIMIT  # a scan of many addresses cannot grow it forever
