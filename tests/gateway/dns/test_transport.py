"""Upstream failover and the TCP listener's limits, on real sockets."""

from __future__ import annotations

import asyncio
import struct
from pathlib import Path

from dnslib import DNSRecord

from gateway.dns.answers import reply_with
from gateway.dns.counters import DnsCounters
from gateway.dns.model import DnsRequest, DnsResponse, Outcome, Transport
from gateway.dns.server import DnsServer, ServerLimits
from gateway.dns.upstream import Upstream, UpstreamResolver
from tests.gateway.dns.fake_upstream import FakeUpstream, start_fake_upstream, stop_fake_upstream


def test_a_dead_upstream_fails_over_and_is_asked_last_afterwards() -> None:
    async def main() -> None:
        fake = FakeUpstream()
        closers = await start_fake_upstream(fake)
        counters = DnsCounters()
        dead, alive = Upstream("127.0.0.1", 9), Upstream("127.0.0.1", fake.port)
        resolver = UpstreamResolver([dead, alive], counters, timeout=0.3)
        try:
            for name in ("one.example.test", "two.example.test"):
                query = DnsRequest("10.77.0.5", Transport.UDP, DNSRecord.question(name))
                response = await resolver.resolve(query)
                assert response.outcome is Outcome.RESOLVED
                assert response.reason == f"resolved by 127.0.0.1:{fake.port}"
            assert counters.upstream_errors == {"127.0.0.1:9": 1}  # tried once, then demoted
            assert dead.failures == 1 and alive.failures == 0
        finally:
            await stop_fake_upstream(closers)

    asyncio.run(asyncio.wait_for(main(), 10))


class _Echo:
    """A one-line resolver, so the test measures the listener alone."""

    async def resolve(self, request: DnsRequest) -> DnsResponse:
        return DnsResponse(reply_with(request.message), Outcome.SPECIAL)


def test_tcp_connections_are_capped_and_idle_ones_closed(tmp_path: Path) -> None:
    async def main() -> None:
        limits = ServerLimits(max_tcp_connections=2, tcp_idle_timeout=0.3)
        server = DnsServer(_Echo(), DnsCounters(), limits=limits)
        ((_, port),) = await server.start([("127.0.0.1", 0)])
        try:
            held = [await asyncio.open_connection("127.0.0.1", port) for _ in range(2)]
            await asyncio.sleep(0.05)
            reader, extra = await asyncio.open_connection("127.0.0.1", port)
            held.append((reader, extra))  # closed with the others below
            assert await asyncio.wait_for(reader.read(), 1) == b""  # over the cap: closed
            reader, writer = held[0]
            wire = bytes(DNSRecord.question("a.test").pack())
            writer.write(struct.pack("!H", len(wire)) + wire)
            (length,) = struct.unpack("!H", await asyncio.wait_for(reader.readexactly(2), 1))
            assert DNSRecord.parse(await reader.readexactly(length)).q.qname == "a.test."
            # Sending nothing more: the connection is closed after the idle timeout.
            assert await asyncio.wait_for(reader.read(), 2) == b""
        finally:
            for _, writer in held:
                writer.close()
            await server.close()

    asyncio.run(asyncio.wait_for(main(), 10))
