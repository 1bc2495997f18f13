"""A real authoritative server on loopback standing in for the internet's resolvers."""

from __future__ import annotations

import asyncio
import struct
from dataclasses import dataclass, field

from dnslib import HTTPS, QTYPE, RCODE, RD, RR, SOA, TXT, A, Buffer, DNSRecord

BIG_TXT = ["x" * 250] * 8  # over 512 bytes: forces TC over UDP without EDNS


@dataclass
class FakeUpstream:
    """Answers every name under .test with 192.0.2.1; can spoof, stall and truncate."""

    queries: list[tuple[str, str]] = field(default_factory=list)  # (transport, name)
    port: int = 0
    silent: bool = False
    spoof_first: bool = False

    def answer(self, wire: bytes) -> bytes | None:
        query = DNSRecord.parse(wire)
        reply = query.reply()
        name = str(query.q.qname)
        if name.startswith("nx."):
            reply.header.rcode = RCODE.NXDOMAIN
            soa = SOA("ns.test.", "admin.test.", (1, 3600, 600, 86400, 30))
            reply.add_auth(RR("test.", QTYPE.SOA, rdata=soa, ttl=300))
        elif query.q.qtype in (QTYPE.HTTPS, 64):
            params = [
                (0, bytearray(b"\x00\x01\x00\x05")),  # mandatory=alpn,ech
                (1, bytearray(b"\x02h3\x05h3-29\x02h2")),  # alpn=h3,h3-29,h2
                (4, bytearray(b"\xc0\x00\x02\x01")),  # ipv4hint=192.0.2.1
                (5, bytearray(b"\x00\x04ECH!")),  # ech=...
            ]
            rdata = HTTPS(1, [], params)
            if query.q.qtype == 64:
                buffer = Buffer()
                rdata.pack(buffer)
                rdata = RD(bytes(buffer.data))
            reply.add_answer(RR(name, query.q.qtype, rdata=rdata, ttl=60))
        elif name.startswith("big."):
            reply.add_answer(RR(name, QTYPE.TXT, rdata=TXT(BIG_TXT), ttl=60))
        else:
            reply.add_answer(RR(name, QTYPE.A, rdata=A("192.0.2.1"), ttl=60))
        return bytes(reply.pack())

    def datagram(self, wire: bytes, addr: tuple[str, int], transport: asyncio.DatagramTransport):
        self.queries.append(("udp", str(DNSRecord.parse(wire).q.qname)))
        if self.silent:
            return
        reply = self.answer(wire)
        assert reply is not None
        if self.spoof_first:  # an off-path guess with the wrong ID arrives first
            transport.sendto(struct.pack("!H", (reply[0] << 8 | reply[1]) ^ 0xFFFF) + reply[2:],
                             addr)  # fmt: skip
        name = str(DNSRecord.parse(wire).q.qname)
        if name.startswith("big.") and len(reply) > 512:
            short = DNSRecord.parse(wire).reply()
            short.header.tc = 1
            reply = bytes(short.pack())
        transport.sendto(reply, addr)

    async def stream(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            (length,) = struct.unpack("!H", await reader.readexactly(2))
            wire = await reader.readexactly(length)
            self.queries.append(("tcp", str(DNSRecord.parse(wire).q.qname)))
            reply = self.answer(wire)
            assert reply is not None
            writer.write(struct.pack("!H", len(reply)) + reply)
            await writer.drain()
        finally:
            writer.close()


class _Proto(asyncio.DatagramProtocol):
    def __init__(self, fake: FakeUpstream) -> None:
        self.fake = fake

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        self.fake.datagram(data, addr, self.transport)  # type: ignore[arg-type]


async def start_fake_upstream(fake: FakeUpstream) -> list[object]:
    loop = asyncio.get_running_loop()
    udp, _ = await loop.create_datagram_endpoint(lambda: _Proto(fake), local_addr=("127.0.0.1", 0))
    fake.port = udp.get_extra_info("sockname")[1]
    tcp = await asyncio.start_server(fake.stream, "127.0.0.1", fake.port)
    return [udp, tcp]


async def stop_fake_upstream(closers: list[object]) -> None:
    """Close the fake upstream and let the loop finish closing it (no transport left to gc)."""
    for closer in closers:
        closer.close()  # type: ignore[attr-defined]
    for closer in closers:
        if isinstance(closer, asyncio.AbstractServer):
            await closer.wait_closed()
    await asyncio.sleep(0)  # the datagram transport closes on the next turn of the loop
