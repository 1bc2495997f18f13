"""The batched UDP listener on real sockets: every query answered once, by its own ID."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path

import pytest
from dnslib import QTYPE, RCODE, RR, TXT, DNSRecord

from gateway.config import DnsConfig, NetworkConfig
from gateway.dns.chain import build_chain, build_front
from gateway.dns.counters import DnsCounters
from gateway.dns.front import Front
from gateway.dns.server import DnsServer
from gateway.dns.wire_cache import WireCache
from tests.filters.builders import engine_for, publish_lists, spec
from tests.gateway.dns.test_transport import _Echo


async def _burst(host: str, port: int, count: int) -> dict[int, bytes]:
    """Send `count` queries back to back from one socket; the replies by ID (bounded wait)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    loop = asyncio.get_running_loop()
    with socket.socket(family, socket.SOCK_DGRAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
        sock.setblocking(False)
        for qid in range(count):
            query = DNSRecord.question(f"n{qid % 7}.example.test")
            query.header.id = qid
            sock.sendto(query.pack(), (host, port))
        replies: dict[int, bytes] = {}
        while len(replies) < count:
            wire = await asyncio.wait_for(loop.sock_recv(sock, 4096), 2)
            replies[DNSRecord.parse(wire).header.id] = wire
        return replies


@pytest.mark.parametrize("host", ["127.0.0.1", "::1"])
def test_a_burst_is_answered_in_full_through_the_chain_and_the_front(host: str) -> None:
    async def main() -> None:
        front = Front(("10.77.0.0/16",), cache=WireCache())
        server = DnsServer(_Echo(), DnsCounters(), front)
        ((_, port),) = await server.start([(host, 0)])
        try:
            first = await _burst(host, port, 300)  # the chain answers, then the wire cache
            again = await _burst(host, port, 300)
            assert sorted(first) == sorted(again) == list(range(300))
            for qid, wire in again.items():
                assert DNSRecord.parse(wire).q.qname == f"n{qid % 7}.example.test."
            assert server.counters.answered["answered"] >= 300  # the second burst from the cache
        finally:
            await server.close()

    asyncio.run(asyncio.wait_for(main(), 20))


def test_an_oversized_datagram_is_ignored_and_the_next_query_answered() -> None:
    async def main() -> None:
        server = DnsServer(_Echo(), DnsCounters(), Front(("10.77.0.0/16",)))
        ((_, port),) = await server.start([("127.0.0.1", 0)])
        try:
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
                sock.sendto(b"\x00" * 9000, ("127.0.0.1", port))
            assert list(await _burst("127.0.0.1", port, 1)) == [0]
        finally:
            await server.close()

    asyncio.run(asyncio.wait_for(main(), 20))


async def _ask_in_turn(port: int, names: list[str], unusual: bool = False) -> list[int]:
    """Rcodes of queries sent one at a time over UDP, each waiting for its reply (bounded).

    `unusual`: each query also carries a TXT record, which only the Python path reads.
    """
    loop = asyncio.get_running_loop()
    rcodes = []
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.setblocking(False)
        for qid, name in enumerate(names):
            query = DNSRecord.question(name)
            query.header.id = qid
            if unusual:
                query.add_ar(RR("note.test", QTYPE.TXT, rdata=TXT("hai")))
            sock.sendto(query.pack(), ("127.0.0.1", port))
            reply = DNSRecord.parse(await asyncio.wait_for(loop.sock_recv(sock, 4096), 2))
            assert reply.header.id == qid
            rcodes.append(reply.header.rcode)
    return rcodes


def _listed_server(state_dir: Path, rate_limit: int) -> DnsServer:
    """A server whose Front answers judi.test in C, rate-limited per client."""
    engine = engine_for(state_dir, [(spec("judi", "gambling"), "judi.test\n")])
    config = DnsConfig(upstreams=("127.0.0.1:9",), rate_limit=rate_limit, blocked_answer="nxdomain")
    counters = DnsCounters()
    chain = build_chain(config, NetworkConfig(), engine, counters, upstream_timeout=0.2)
    return DnsServer(chain, counters, build_front(config, NetworkConfig(), engine))


def test_the_fast_lane_applies_the_rate_limit_and_counts_each_query_once(state_dir: Path) -> None:
    async def main() -> None:
        server = _listed_server(state_dir, rate_limit=5)  # a burst of 10, then 5 a second
        assert server.front is not None and server.front.fast is not None
        ((_, port),) = await server.start([("127.0.0.1", 0)])
        try:
            rcodes = await _ask_in_turn(port, ["judi.test"] * 30)
        finally:
            await server.close()
        assert rcodes[:10] == [RCODE.NXDOMAIN] * 10  # answered in C
        assert rcodes[10:].count(RCODE.REFUSED) >= 15  # a slow machine may let a few through
        assert server.counters.queries == 30
        assert server.counters.blocked["gambling"] == rcodes.count(RCODE.NXDOMAIN)

    asyncio.run(asyncio.wait_for(main(), 20))


def test_a_query_the_fast_lane_passes_on_is_not_charged_twice(state_dir: Path) -> None:
    async def main() -> None:
        server = _listed_server(state_dir, rate_limit=5)
        ((_, port),) = await server.start([("127.0.0.1", 0)])
        try:
            # Unusual queries pass the fast lane, after it took their token, to the chain.
            rcodes = await _ask_in_turn(port, ["use-application-dns.net"] * 10, unusual=True)
        finally:
            await server.close()
        assert rcodes == [RCODE.NXDOMAIN] * 10  # ten tokens for ten queries, not twenty

    asyncio.run(asyncio.wait_for(main(), 20))


def test_the_c_callback_follows_a_change_of_lists(state_dir: Path) -> None:
    async def main() -> None:
        server = _listed_server(state_dir, rate_limit=0)
        assert server.front is not None and server.front.blocker is not None
        engine = server.front.blocker.engine
        ((_, port),) = await server.start([("127.0.0.1", 0)])
        try:
            before = await _ask_in_turn(port, ["judi.test", "baru.test"])
            publish_lists(state_dir, [(spec("judi", "gambling"), "baru.test\n")])
            assert engine.refresh()
            after = await _ask_in_turn(port, ["judi.test", "baru.test"])
        finally:
            await server.close()
        assert before == [RCODE.NXDOMAIN, RCODE.SERVFAIL]  # baru.test: upstream unreachable
        assert after == [RCODE.SERVFAIL, RCODE.NXDOMAIN]
        assert server.counters.queries == 4

    asyncio.run(asyncio.wait_for(main(), 20))
