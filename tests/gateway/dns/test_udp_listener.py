"""The batched UDP listener on real sockets: every query answered once, by its own ID."""

from __future__ import annotations

import asyncio
import socket

import pytest
from dnslib import DNSRecord

from gateway.dns.counters import DnsCounters
from gateway.dns.front import Front
from gateway.dns.server import DnsServer
from gateway.dns.wire_cache import WireCache
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
