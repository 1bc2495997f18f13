"""Forward to upstreams: failover, health, random IDs and ports, spoofing checks, TCP on TC.

Each query goes out on a fresh connected UDP socket (a random source port chosen by the kernel)
with a random ID; a reply whose ID or question does not match is dropped as a spoofing try, and
the wait goes on until the timeout. A truncated UDP reply is asked again over TCP.
"""

from __future__ import annotations

import asyncio
import secrets
import struct
import time
from dataclasses import dataclass

from dnslib import RCODE, DNSHeader, DNSRecord

from gateway.dns.answers import error_reply
from gateway.dns.counters import DnsCounters
from gateway.dns.model import DnsRequest, DnsResponse, Outcome

MAX_TCP_MESSAGE = 65535


@dataclass
class Upstream:
    """One upstream resolver and how it has been doing."""

    host: str
    port: int
    failures: int = 0

    @classmethod
    def parse(cls, endpoint: str) -> Upstream:
        """From the config's "address:port" or "[v6]:port"."""
        host, _, port = endpoint.rpartition(":")
        return cls(host.strip("[]"), int(port))

    @property
    def label(self) -> str:
        """For counters and logs."""
        return f"{self.host}:{self.port}"


class UpstreamError(Exception):
    """An upstream did not give a usable answer."""


class _ReplyCatcher(asyncio.DatagramProtocol):
    def __init__(self, query: DNSRecord, done: asyncio.Future[bytes]) -> None:
        self.query = query
        self.done = done

    def datagram_received(self, data: bytes, addr: tuple[str | object, int]) -> None:
        if self.done.done() or not _matches(self.query, data):
            return  # a late, stray or spoofed datagram: keep waiting for the real one
        self.done.set_result(data)

    def error_received(self, exc: Exception) -> None:
        if not self.done.done():
            self.done.set_exception(UpstreamError(str(exc)))


def _matches(query: DNSRecord, wire: bytes) -> bool:
    """Same ID and same question, or it is not the answer to our query."""
    if len(wire) < 12 or struct.unpack_from("!H", wire)[0] != query.header.id:
        return False
    try:
        reply = DNSRecord.parse(wire)
    except Exception:  # dnslib raises many types on junk; junk is not our answer
        return False
    return bool(reply.header.qr) and reply.questions == query.questions


class UpstreamResolver:
    """The end of the chain: asks the healthiest upstream, then the others."""

    def __init__(self, upstreams: list[Upstream], counters: DnsCounters, timeout: float = 2.0):
        self.upstreams = upstreams
        self.counters = counters
        self.timeout = timeout

    async def resolve(self, request: DnsRequest) -> DnsResponse:
        """Forward; SERVFAIL when no upstream answers."""
        last = "no upstream configured"
        # Healthiest first; ties keep the configured order.
        for upstream in sorted(self.upstreams, key=lambda u: u.failures):
            try:
                reply = await self._ask(upstream, request.message)
            except (UpstreamError, OSError, TimeoutError) as exc:
                upstream.failures += 1
                self.counters.upstream_failed(upstream.label, time.time())
                last = str(exc) or type(exc).__name__
                continue
            upstream.failures = 0
            return DnsResponse(reply, Outcome.RESOLVED, f"resolved by {upstream.label}")
        reply = error_reply(request.message, RCODE.SERVFAIL)
        return DnsResponse(reply, Outcome.SERVFAIL, f"every upstream failed: {last}")

    async def _ask(self, upstream: Upstream, query: DNSRecord) -> DNSRecord:
        client_id = query.header.id
        # A fresh random ID per upstream query; EDNS0 goes through as the client sent it.
        outgoing = DNSRecord(
            DNSHeader(id=secrets.randbits(16), rd=query.header.rd),
            questions=list(query.questions),
            ar=list(query.ar),
        )
        started = time.monotonic()
        wire = await asyncio.wait_for(self._udp(upstream, outgoing), self.timeout)
        reply = DNSRecord.parse(wire)
        if reply.header.tc:
            wire = await asyncio.wait_for(self._tcp(upstream, outgoing), self.timeout)
            reply = DNSRecord.parse(wire)
        self.counters.observe_upstream(time.monotonic() - started, time.time())
        reply.header.id = client_id
        return reply

    async def _udp(self, upstream: Upstream, query: DNSRecord) -> bytes:
        loop = asyncio.get_running_loop()
        done: asyncio.Future[bytes] = loop.create_future()
        transport, _ = await loop.create_datagram_endpoint(
            lambda: _ReplyCatcher(query, done), remote_addr=(upstream.host, upstream.port)
        )
        try:
            transport.sendto(bytes(query.pack()))
            return await done
        finally:
            transport.close()

    async def _tcp(self, upstream: Upstream, query: DNSRecord) -> bytes:
        reader, writer = await asyncio.open_connection(upstream.host, upstream.port)
        try:
            wire = bytes(query.pack())
            writer.write(struct.pack("!H", len(wire)) + wire)
            await writer.drain()
            (length,) = struct.unpack("!H", await reader.readexactly(2))
            data = await reader.readexactly(length)
        except asyncio.IncompleteReadError as exc:
            raise UpstreamError("upstream closed the TCP connection") from exc
        finally:
            writer.close()
        if not _matches(query, data):
            raise UpstreamError("TCP answer does not match the query")
        return data
