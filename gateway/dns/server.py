"""The DNS listeners: asyncio UDP and TCP in front of the resolver chain.

Malformed packets never reach the chain: a packet with a readable header gets FORMERR, anything
shorter gets silence. TCP connections are capped in number and closed when idle, so slow
clients cannot starve the others.
"""

from __future__ import annotations

import asyncio
import contextlib
import struct
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

from dnslib import EDNS0, QTYPE, RCODE, DNSRecord

from gateway.dns._udp_lane import UdpLane
from gateway.dns.answers import error_reply
from gateway.dns.counters import DnsCounters
from gateway.dns.front import Admission, Admit, Front
from gateway.dns.model import DnsRequest, Outcome, Transport
from gateway.dns.resolver import Resolver
from gateway.dns.udp_listener import UdpListener, bind_udp
from gateway.dns.wire import refused as refused_wire
from gateway.dns.wire_cache import CLASSIC_UDP_PAYLOAD


@dataclass
class ServerLimits:
    """Per-server limits on TCP clients."""

    max_tcp_connections: int = 256
    tcp_idle_timeout: float = 10.0


def _parse(wire: bytes) -> DNSRecord | None:
    try:
        query = DNSRecord.parse(wire)
    except Exception:  # dnslib raises many types (DNSLabelError, struct.error, ...) on junk
        return None
    if query.header.qr or len(query.questions) != 1:
        return None
    labels = query.q.qname.label
    # dnslib reads labels its own writer refuses; such a name must not get any further.
    if any(len(label) > 63 for label in labels) or sum(len(x) + 1 for x in labels) > 255:
        return None
    return query


def _formerr(wire: bytes) -> bytes | None:
    """FORMERR with the query's ID when at least the header is readable; else nothing."""
    if len(wire) < 12:
        return None
    (qid,) = struct.unpack_from("!H", wire)
    reply = DNSRecord()
    reply.header.id = qid
    reply.header.qr = 1
    reply.header.rcode = RCODE.FORMERR
    return bytes(reply.pack())


def _udp_limit(query: DNSRecord) -> int:
    for rr in query.ar:
        if rr.rtype == QTYPE.OPT:
            return max(CLASSIC_UDP_PAYLOAD, int(rr.rclass))
    return CLASSIC_UDP_PAYLOAD


def _fit_udp(query: DNSRecord, reply: DNSRecord) -> bytes:
    """The reply's wire form, or an empty truncated reply (TC set) when it is too big for UDP."""
    wire = bytes(reply.pack())
    if len(wire) <= _udp_limit(query):
        return wire
    short = query.reply(ra=1)
    short.header.tc = 1
    short.header.rcode = reply.header.rcode
    if any(rr.rtype == QTYPE.OPT for rr in query.ar):
        short.add_ar(EDNS0(udp_len=_udp_limit(query)))
    return bytes(short.pack())


@dataclass
class DnsServer:
    """Serves one resolver chain on several UDP and TCP endpoints, behind a Front."""

    chain: Resolver
    counters: DnsCounters
    front: Front | None = None
    limits: ServerLimits = field(default_factory=ServerLimits)
    _closers: list[asyncio.AbstractServer | UdpListener] = field(default_factory=list)
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)
    _tcp_clients: int = 0

    def __post_init__(self) -> None:
        if self.front is not None:
            self.front.count_into(self.counters)

    def udp_lane(self, fd: int, rest: Callable[[list[Any]], None]) -> Callable[[], None] | None:
        """A readable callback for a UDP socket answering the common queries in C, or None.

        `rest` gets what the C callback leaves: [(wire, address, charged), ...].
        """
        parts = self.front.lane_parts() if self.front is not None else None
        if parts is None:
            return None
        return UdpLane(fd, parts.known, parts.answer, parts.clock, parts.lists, parts.sync,
                       parts.allow, parts.exempt, self.counters, rest)  # fmt: skip

    def answer_now(
        self, wire: bytes, client: str, charged: bool = False
    ) -> bytes | Admission | None:
        """A reply (None for silence) if one is ready at once; else the Admission to go on with.

        The Admission goes to `answer_later`, which runs the resolver chain. `charged`: the
        client's rate limit was already applied to this query.
        """
        self.counters.queries += 1
        if self.front is None:
            return Admission(Admit.PASS, None)
        admission = self.front.admit(wire, client, charged)
        if isinstance(admission, bytes):
            return admission  # answered and counted in C
        if admission.admit is Admit.PASS:
            return admission
        self.counters.answered[admission.admit.value] += 1
        if admission.admit is Admit.DROP:
            return None
        if admission.admit is Admit.REFUSE:
            if admission.query is not None:
                return refused_wire(admission.query)
            query = _parse(wire)
            return bytes(error_reply(query, RCODE.REFUSED).pack()) if query else _formerr(wire)
        hit = admission.hit
        assert hit is not None
        self.counters.answered[hit.outcome] += 1
        if hit.category:
            self.counters.blocked[hit.category] += 1
        return hit.wire

    async def answer_later(
        self, wire: bytes, client: str, transport: Transport, admission: Admission
    ) -> bytes | None:
        """The reply from the resolver chain (parsing the query into objects first)."""
        query = _parse(wire)
        if query is None:
            self.counters.malformed += 1
            return _formerr(wire)
        request = DnsRequest(client, transport, query)
        try:
            response = await self.chain.resolve(request)
        except Exception:  # a bug in one link must cost one answer, not the server
            self.counters.answered["error"] += 1
            return bytes(error_reply(query, RCODE.SERVFAIL).pack())
        self.counters.answered[response.outcome.value] += 1
        if response.outcome is Outcome.DROPPED:
            return None
        if transport is Transport.UDP:
            reply = _fit_udp(query, response.message)
        else:
            reply = bytes(response.message.pack())
        if self.front is not None:
            self.front.remember(admission, reply, response.outcome.value, response.category)
        return reply

    async def reply_later(
        self, wire: bytes, address: Any, admission: Admission, send: Callable[[bytes, Any], None]
    ) -> None:
        """Answer a UDP query through the chain and send the reply (nothing for silence)."""
        reply = await self.answer_later(wire, address[0], Transport.UDP, admission)
        if reply is not None:
            send(reply, address)

    async def answer(self, wire: bytes, client: str, transport: Transport) -> bytes | None:
        """The wire reply to one wire query, or None for silence."""
        now = self.answer_now(wire, client)
        if isinstance(now, Admission):
            return await self.answer_later(wire, client, transport, now)
        return now

    async def start(self, endpoints: list[tuple[str, int]]) -> list[tuple[str, int]]:
        """Listen on every endpoint (UDP and TCP); returns the bound addresses (port 0 resolved)."""
        bound = []
        for host, port in endpoints:
            udp = UdpListener(self, bind_udp(host, port))
            self._closers.append(udp)
            sockname = udp.sockname()
            tcp = await asyncio.start_server(self._serve_tcp, host, sockname[1], reuse_port=True)
            self._closers.append(tcp)
            bound.append(sockname)
        return bound

    async def close(self) -> None:
        """Stop listening and finish."""
        for closer in self._closers:
            closer.close()
        for task in list(self._tasks):
            task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.gather(*self._tasks, return_exceptions=True)

    def spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        """Run a per-query coroutine, kept referenced until it ends."""
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _serve_tcp(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self._tcp_clients >= self.limits.max_tcp_connections:
            writer.close()
            return
        self._tcp_clients += 1
        client = str(writer.get_extra_info("peername")[0])
        try:
            while True:
                head = await asyncio.wait_for(reader.readexactly(2), self.limits.tcp_idle_timeout)
                (length,) = struct.unpack("!H", head)
                wire = await asyncio.wait_for(
                    reader.readexactly(length), self.limits.tcp_idle_timeout
                )
                reply = await self.answer(wire, client, Transport.TCP)
                if reply is None:
                    break
                writer.write(struct.pack("!H", len(reply)) + reply)
                await writer.drain()
        except (asyncio.IncompleteReadError, TimeoutError, ConnectionError):
            pass
        finally:
            self._tcp_clients -= 1
            writer.close()
