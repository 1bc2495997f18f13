"""The Front's byte-level blocking gives the chain's answers, and leaves special names alone."""

from __future__ import annotations

import asyncio
from pathlib import Path

import dns.edns
import dns.message
import dns.name
import dns.rcode
import pytest
from dnslib import DNSRecord

from gateway.config import DnsConfig, NetworkConfig
from gateway.dns.blocked_wire import blocked_wire
from gateway.dns.chain import build_chain, build_front
from gateway.dns.counters import DnsCounters
from gateway.dns.front import Admit
from gateway.dns.model import DnsRequest, Transport
from tests.filters.builders import engine_for, spec


def summary(wire: bytes) -> tuple[object, ...]:
    message = dns.message.from_wire(wire)
    ede = [(o.code, o.text) for o in message.options if o.otype == dns.edns.OptionType.EDE]
    return (message.rcode(), [r.to_text() for r in message.answer],
            [r.to_text() for r in message.authority], message.edns, ede)  # fmt: skip


@pytest.mark.parametrize("mode", ["blockpage", "nxdomain", "null"])
@pytest.mark.parametrize("qtype", ["A", "AAAA", "HTTPS", "ANY"])
@pytest.mark.parametrize("edns", [True, False])
def test_front_and_chain_give_the_same_blocked_answer(
    state_dir: Path, mode: str, qtype: str, edns: bool
) -> None:
    engine = engine_for(state_dir, [(spec("judi", "gambling"), "judi.test\n")])
    config = DnsConfig(upstreams=("127.0.0.1:9",), blocked_answer=mode)
    front = build_front(config, NetworkConfig(), engine)
    chain = build_chain(config, NetworkConfig(), engine, DnsCounters(), upstream_timeout=0.2)
    wire = dns.message.make_query("WWW.judi.test", qtype, use_edns=0 if edns else False).to_wire()
    admission = front.admit(wire, "10.77.0.5")
    assert admission.admit is Admit.ANSWERED and admission.hit is not None
    slow = asyncio.run(chain.resolve(DnsRequest("10.77.0.5", Transport.UDP, DNSRecord.parse(wire))))
    assert summary(admission.hit.wire) == summary(bytes(slow.message.pack()))
    assert dns.message.from_wire(admission.hit.wire).id == dns.message.from_wire(wire).id


def test_listed_special_names_still_get_their_special_answer(state_dir: Path) -> None:
    engine = engine_for(state_dir, [(spec("doh", "dns-bypass"), "use-application-dns.net\n")])
    front = build_front(DnsConfig(upstreams=("127.0.0.1:9",)), NetworkConfig(), engine)
    wire = dns.message.make_query("use-application-dns.net", "A").to_wire()
    assert front.admit(wire, "10.77.0.5").admit is Admit.PASS  # the chain answers NXDOMAIN


@pytest.mark.parametrize("asked", ["judi.test", "WWW.Judi.TEST", "a.b.c.judi.test"])
def test_the_soa_is_owned_by_the_listed_name(state_dir: Path, asked: str) -> None:
    engine = engine_for(state_dir, [(spec("judi", "gambling"), "judi.test\n")])
    front = build_front(DnsConfig(blocked_answer="nxdomain"), NetworkConfig(), engine)
    admission = front.admit(dns.message.make_query(asked, "A").to_wire(), "10.77.0.5")
    assert admission.hit is not None
    reply = dns.message.from_wire(admission.hit.wire)
    assert reply.authority[0].name == dns.name.from_text("judi.test.")
    assert reply.question[0].name == dns.name.from_text(asked)


def test_an_soa_owner_outside_the_question_is_written_in_full() -> None:
    question = dns.message.make_query("other.test", "A").to_wire()[12:]
    wire = blocked_wire(7, True, question, 1, False, "nxdomain", "10.0.0.1", "porn", "judi.test",
                        "other.test")  # fmt: skip
    assert dns.message.from_wire(wire).authority[0].name == dns.name.from_text("judi.test.")
