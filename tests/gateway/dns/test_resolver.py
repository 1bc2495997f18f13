"""The resolver on real sockets: a dnspython client, our server, a fake upstream on loopback."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import dns.asyncquery
import dns.edns
import dns.message
import dns.rcode
import dns.rdatatype
import pytest

from gateway.config import DnsConfig, NetworkConfig
from gateway.dns.chain import build_chain, build_front
from gateway.dns.counters import DnsCounters
from gateway.dns.server import DnsServer
from tests.filters.builders import engine_for, spec
from tests.gateway.dns.fake_upstream import FakeUpstream, start_fake_upstream, stop_fake_upstream

LAN = "10.77.0.1"
Scenario = Callable[[int, FakeUpstream, DnsCounters], Awaitable[None]]


def run(
    state_dir: Path,
    scenario: Scenario,
    mode: str = "blockpage",
    safesearch: bool = True,
    **fake_kw: bool,
) -> None:
    """Start the fake upstream and our server in one loop, run the scenario, tear down."""
    engine = engine_for(state_dir, [(spec("judi", "gambling"), "judi.test\n")])

    async def main() -> None:
        fake = FakeUpstream(**fake_kw)
        closers = await start_fake_upstream(fake)
        counters = DnsCounters()
        dns_config = DnsConfig(
            upstreams=(f"127.0.0.1:{fake.port}",), blocked_answer=mode, safesearch=safesearch
        )
        chain = build_chain(dns_config, NetworkConfig(), engine, counters, upstream_timeout=0.5)
        server = DnsServer(chain, counters, build_front(dns_config, NetworkConfig(), engine))
        ((_, port),) = await server.start([("127.0.0.1", 0)])
        try:
            await asyncio.wait_for(scenario(port, fake, counters), 20)
        finally:
            await server.close()
            await stop_fake_upstream(closers)

    asyncio.run(main())


async def ask(port: int, name: str, rdtype: str = "A", tcp: bool = False, edns: bool = True):
    query = dns.message.make_query(name, rdtype, use_edns=0 if edns else False)
    send = dns.asyncquery.tcp if tcp else dns.asyncquery.udp
    return await send(query, "127.0.0.1", port=port, timeout=3)


def test_allowed_names_are_forwarded_and_answered(state_dir: Path) -> None:
    async def scenario(port: int, fake: FakeUpstream, counters: DnsCounters) -> None:
        reply = await ask(port, "www.example.test")
        assert reply.rcode() == dns.rcode.NOERROR
        assert reply.answer[0][0].address == "192.0.2.1"
        tcp = await ask(port, "tcp.example.test", tcp=True)
        assert tcp.answer[0][0].address == "192.0.2.1"
        assert fake.queries == [("udp", "www.example.test."), ("udp", "tcp.example.test.")]

    run(state_dir, scenario)


@pytest.mark.parametrize("rdtype", ["A", "AAAA", "HTTPS", "SVCB", "MX", "TXT"])
def test_blocked_names_never_leave_and_carry_ede_15(state_dir: Path, rdtype: str) -> None:
    async def scenario(port: int, fake: FakeUpstream, counters: DnsCounters) -> None:
        reply = await ask(port, "www.judi.test", rdtype)
        assert reply.rcode() == dns.rcode.NOERROR
        if rdtype == "A":
            assert [rr.address for rr in reply.answer[0]] == [LAN]
        else:
            assert reply.answer == [] and reply.authority  # no data, with an SOA to cache
        (ede,) = [o for o in reply.options if o.otype == dns.edns.OptionType.EDE]
        assert ede.code == dns.edns.EDECode.BLOCKED and ede.text == "blocked: gambling"
        assert fake.queries == []  # the upstream never heard of it
        assert counters.blocked["gambling"] == 1

    run(state_dir, scenario)


def test_nxdomain_and_null_modes(state_dir: Path, tmp_path: Path) -> None:
    async def nxdomain(port: int, fake: FakeUpstream, counters: DnsCounters) -> None:
        reply = await ask(port, "a.judi.test")
        assert reply.rcode() == dns.rcode.NXDOMAIN
        assert reply.authority[0].rdtype == dns.rdatatype.SOA

    async def null(port: int, fake: FakeUpstream, counters: DnsCounters) -> None:
        assert (await ask(port, "judi.test")).answer[0][0].address == "0.0.0.0"
        assert (await ask(port, "judi.test", "AAAA")).answer[0][0].address == "::"

    run(state_dir, nxdomain, mode="nxdomain")
    run(tmp_path / "other", null, mode="null")


def test_no_opt_record_for_clients_without_edns(state_dir: Path) -> None:
    async def scenario(port: int, fake: FakeUpstream, counters: DnsCounters) -> None:
        reply = await ask(port, "judi.test", edns=False)
        assert reply.edns < 0 and reply.answer[0][0].address == LAN

    run(state_dir, scenario)


@pytest.mark.parametrize(
    "name", ["use-application-dns.net", "mask.icloud.com", "mask-h2.icloud.com"]
)
def test_bypass_canaries_answer_nxdomain(state_dir: Path, name: str) -> None:
    async def scenario(port: int, fake: FakeUpstream, counters: DnsCounters) -> None:
        assert (await ask(port, name)).rcode() == dns.rcode.NXDOMAIN
        assert fake.queries == []

    run(state_dir, scenario)


def test_spoofed_reply_is_dropped_and_the_real_one_used(state_dir: Path) -> None:
    async def scenario(port: int, fake: FakeUpstream, counters: DnsCounters) -> None:
        reply = await ask(port, "bank.example.test")
        assert reply.answer[0][0].address == "192.0.2.1"

    run(state_dir, scenario, spoof_first=True)


def test_truncated_udp_answer_is_fetched_again_over_tcp(state_dir: Path) -> None:
    async def scenario(port: int, fake: FakeUpstream, counters: DnsCounters) -> None:
        reply = await ask(port, "big.example.test", "TXT", tcp=True)
        assert len(b"".join(reply.answer[0][0].strings)) == 2000
        assert [t for t, _ in fake.queries] == ["udp", "tcp"]

    run(state_dir, scenario)


def test_dead_upstream_gives_servfail_within_two_seconds(state_dir: Path) -> None:
    async def scenario(port: int, fake: FakeUpstream, counters: DnsCounters) -> None:
        started = time.monotonic()
        reply = await ask(port, "down.example.test")
        assert reply.rcode() == dns.rcode.SERVFAIL
        assert time.monotonic() - started < 2
        blocked = await ask(port, "judi.test")  # blocked names are still answered
        assert blocked.answer[0][0].address == LAN

    run(state_dir, scenario, silent=True)


def test_malformed_packets_get_formerr_or_silence_and_service_goes_on(state_dir: Path) -> None:
    async def scenario(port: int, fake: FakeUpstream, counters: DnsCounters) -> None:
        loop = asyncio.get_running_loop()
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.setblocking(False)
        try:
            compression_loop = b"\x12\x34\x01\x00\x00\x01" + b"\x00" * 6 + b"\xc0\x0c\x00\x01"
            junk = [b"", b"\x00", b"\x12\x34" + b"\xff" * 10, compression_loop]
            for packet in junk:
                await loop.sock_sendto(sock, packet, ("127.0.0.1", port))
            formerr = await asyncio.wait_for(loop.sock_recv(sock, 4096), 2)
            assert formerr[:2] == b"\x12\x34" and formerr[3] & 0x0F == dns.rcode.FORMERR
        finally:
            sock.close()
        assert (await ask(port, "after.example.test")).answer[0][0].address == "192.0.2.1"
        assert counters.malformed == len(junk)

    run(state_dir, scenario)


@pytest.mark.parametrize("rdtype", ["HTTPS", "SVCB"])
def test_https_and_svcb_answers_lose_ech_and_h3(state_dir: Path, rdtype: str) -> None:
    async def scenario(port: int, fake: FakeUpstream, counters: DnsCounters) -> None:
        reply = await ask(port, "svc.example.test", rdtype)
        (record,) = reply.answer[0]
        keys = {int(k) for k in record.params}
        assert 5 not in keys  # no ech: the proxy can read the SNI
        assert [bytes(a) for a in record.params[1].ids] == [b"h2"]  # no HTTP/3 over blocked QUIC
        assert [int(k) for k in record.params[0].keys] == [1]  # mandatory no longer names ech
        assert str(record.params[4].addresses[0]) == "192.0.2.1"  # the rest is untouched

    run(state_dir, scenario)


def test_safesearch_answers_search_names_with_the_safe_endpoint(state_dir: Path) -> None:
    async def scenario(port: int, fake: FakeUpstream, counters: DnsCounters) -> None:
        reply = await ask(port, "www.google.co.id")
        cname, address = reply.answer
        assert str(cname[0].target) == "forcesafesearch.google.com."
        assert address[0].address == "192.0.2.1"
        youtube = await ask(port, "m.youtube.com")
        assert str(youtube.answer[0][0].target) == "restrictmoderate.youtube.com."
        asked = [name for _, name in fake.queries]
        assert asked == ["forcesafesearch.google.com.", "restrictmoderate.youtube.com."]

    run(state_dir, scenario)


def test_safesearch_off_forwards_search_names_unchanged(state_dir: Path) -> None:
    async def scenario(port: int, fake: FakeUpstream, counters: DnsCounters) -> None:
        reply = await ask(port, "www.google.com")
        assert reply.answer[0].rdtype == dns.rdatatype.A
        assert fake.queries == [("udp", "www.google.com.")]

    run(state_dir, scenario, safesearch=False)


def test_any_gets_the_minimal_rfc8482_answer_without_asking_upstream(state_dir: Path) -> None:
    async def scenario(port: int, fake: FakeUpstream, counters: DnsCounters) -> None:
        reply = await ask(port, "example.test", "ANY", tcp=True)
        (hinfo,) = reply.answer[0]
        assert hinfo.rdtype == dns.rdatatype.HINFO and hinfo.cpu == b"RFC8482"
        blocked = await ask(port, "judi.test", "ANY")
        assert blocked.authority and not blocked.answer  # blocked for ANY as for any type
        assert fake.queries == []

    run(state_dir, scenario)
