"""100,000 malformed packets never crash the server: FORMERR or silence, then service goes on."""

from __future__ import annotations

import asyncio
import random
import struct
from pathlib import Path

from dnslib import QTYPE, RCODE, DNSRecord
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.config import DnsConfig, NetworkConfig
from gateway.dns.chain import build_chain, build_front
from gateway.dns.counters import DnsCounters
from gateway.dns.model import Transport
from gateway.dns.server import DnsServer
from tests.filters.builders import engine_for, spec

PACKETS = 100_000


def make_server(state_dir: Path) -> tuple[DnsServer, DnsCounters]:
    engine = engine_for(state_dir, [(spec("judi", "gambling"), "judi.test\n")])
    counters = DnsCounters()
    config = DnsConfig(upstreams=("127.0.0.1:9",), rate_limit=0)
    chain = build_chain(config, NetworkConfig(), engine, counters, upstream_timeout=0.2)
    return DnsServer(chain, counters, build_front(config, NetworkConfig(), engine)), counters


def mutations(rng: random.Random, seed_packets: list[bytes]) -> bytes:
    """Real queries broken the ways attackers and bugs break them."""
    packet = bytearray(rng.choice(seed_packets))
    kind = rng.randrange(6)
    if kind == 0:
        return bytes(packet[: rng.randrange(len(packet))])  # truncated
    if kind == 1:
        for _ in range(rng.randrange(1, 8)):  # flipped bytes
            packet[rng.randrange(len(packet))] = rng.randrange(256)
        return bytes(packet)
    if kind == 2:  # oversized section counts
        struct.pack_into("!HHHH", packet, 4, *(rng.randrange(65536) for _ in range(4)))
        return bytes(packet)
    if kind == 3:  # a compression pointer looping on itself where the name starts
        return bytes(packet[:12]) + b"\xc0\x0c" + bytes(packet[-4:])
    if kind == 4:  # a label longer than 63 bytes
        return (
            bytes(packet[:12])
            + bytes([rng.randrange(64, 256)])
            + b"a" * 80
            + b"\x00\x00\x01\x00\x01"
        )
    return rng.randbytes(rng.randrange(0, 600))  # noise


def test_100k_malformed_packets_never_crash_and_good_queries_still_work(state_dir: Path) -> None:
    server, counters = make_server(state_dir)
    rng = random.Random(8914)
    seeds = [bytes(DNSRecord.question(n, t).pack()) for n in ("judi.test", "a.b.example.test")
             for t in ("A", "AAAA", "HTTPS", "TXT")]  # fmt: skip
    good = bytes(DNSRecord.question("judi.test").pack())

    async def main() -> None:
        for i in range(PACKETS):
            packet = mutations(rng, seeds)
            reply = await server.answer(packet, "10.77.0.50", Transport.UDP)
            if reply is not None:
                assert len(reply) >= 12  # a DNS message, whatever it says
            if i % 10_000 == 0:  # and the next good query is answered properly
                answer = DNSRecord.parse(await server.answer(good, "10.77.0.50", Transport.UDP))
                assert answer.header.rcode == RCODE.NOERROR and answer.rr[0].rtype == QTYPE.A

    asyncio.run(main())
    assert counters.queries >= PACKETS
    assert counters.answered["error"] == 0  # no link of the chain raised


@settings(max_examples=300, deadline=None)
@given(packet=st.binary(max_size=700))
def test_any_bytes_get_formerr_or_silence(packet: bytes) -> None:
    counters = DnsCounters()
    server = DnsServer(chain=_NeverCalled(), counters=counters)  # type: ignore[arg-type]
    try:
        DNSRecord.parse(packet)
        parses = True
    except Exception:
        parses = False
    if parses:
        return  # well-formed queries are the other tests' business
    reply = asyncio.run(server.answer(packet, "10.77.0.51", Transport.UDP))
    assert reply is None or (len(reply) == 12 and reply[3] & 0x0F == RCODE.FORMERR)


class _NeverCalled:
    async def resolve(self, request: object) -> object:
        raise AssertionError("a malformed packet reached the chain")
