"""The Front's answers in C are the Python path's answers, byte for byte, and count the same."""

from __future__ import annotations

from pathlib import Path

import dns.flags
import dns.message
import dns.rcode
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from filters.engine import BlocklistEngine
from filters.staff_edit import record_staff_edit
from gateway.config import DnsConfig, NetworkConfig
from gateway.dns.chain import build_front
from gateway.dns.counters import DnsCounters
from gateway.dns.front import Admission, Admit, Front
from gateway.dns.server import DnsServer
from tests.filters.builders import TEST_NEVER_BLOCK, engine_for, publish_lists, spec

CLIENT = "10.77.0.5"
LISTS = [
    (spec("judi", "gambling"), "judi.test\nslot.example\n"),
    (spec("porn", "porn"), "bokep.test\nwww.judi.test\n"),  # inside a gambling name: ranked
    (spec("allow", "gambling", "adblock"), "||judi.test^\n@@||ok.judi.test^\n@@||bebas.test^\n"),
]


def fronts(engine: BlocklistEngine, mode: str) -> tuple[Front, Front, DnsCounters]:
    """The Python Front and one answering in C (counting into the counters returned)."""
    config = DnsConfig(upstreams=("127.0.0.1:9",), blocked_answer=mode)
    python = build_front(config, NetworkConfig(), engine)
    fast = build_front(config, NetworkConfig(), engine)
    counters = DnsCounters()
    fast.count_into(counters)
    return python, fast, counters


def python_answer(front: Front, wire: bytes) -> bytes | None:
    admission = front.admit(wire, CLIENT)
    assert isinstance(admission, Admission)
    return admission.hit.wire if admission.hit is not None else None


@pytest.mark.parametrize("mode", ["blockpage", "nxdomain", "null"])
@pytest.mark.parametrize("qtype", ["A", "AAAA", "HTTPS", "SVCB", "MX", "ANY"])
@pytest.mark.parametrize("edns", [True, False])
@pytest.mark.parametrize(
    "asked", ["judi.test", "WWW.Judi.TEST", "a.www.judi.test", "a.b.slot.example", "bokep.test"]
)
def test_c_writes_the_python_blocked_reply(
    state_dir: Path, mode: str, qtype: str, edns: bool, asked: str
) -> None:
    python, fast, _ = fronts(engine_for(state_dir, LISTS[:2]), mode)
    wire = dns.message.make_query(asked, qtype, use_edns=0 if edns else False).to_wire()
    answered = fast.admit(wire, CLIENT)
    assert isinstance(answered, bytes), "a plainly blocked name is answered in C"
    assert answered == python_answer(python, wire)


@pytest.fixture(scope="module")
def listed_engine(tmp_path_factory: pytest.TempPathFactory) -> BlocklistEngine:
    return engine_for(tmp_path_factory.mktemp("state"), LISTS[:2])


@settings(max_examples=300, deadline=None)
@given(
    labels=st.lists(st.from_regex(r"[a-zA-Z0-9-]{1,20}", fullmatch=True), max_size=4),
    listed=st.sampled_from(["judi.test", "www.judi.test", "slot.example", "bokep.test"]),
    qid=st.integers(0, 0xFFFF),
    rd=st.booleans(),
    qtype=st.sampled_from(["A", "AAAA", "HTTPS", "TXT", "CNAME"]),
    payload=st.sampled_from([None, 512, 1232, 4096]),
)
def test_any_name_under_a_listed_one_gets_the_same_bytes(
    listed_engine: BlocklistEngine, labels: list[str], listed: str, qid: int, rd: bool, qtype: str,
    payload: int | None,
) -> None:  # fmt: skip
    python, fast, _ = fronts(listed_engine, "nxdomain")
    name = ".".join([*labels, listed])
    query = dns.message.make_query(name, qtype, use_edns=False if payload is None else 0,
                                   payload=payload or 1232)  # fmt: skip
    query.id = qid
    if not rd:
        query.flags &= ~dns.flags.RD
    wire = query.to_wire()
    assert fast.admit(wire, CLIENT) == python_answer(python, wire)


@pytest.mark.parametrize(
    "asked",
    [
        "bebas.test",  # only an allowlist exception: the Python path decides
        "x.ok.judi.test",  # a block and an exception over it: the Python path decides
        "use-application-dns.net",  # a special name, answered by the chain
        "allowed.test",  # not listed: the chain (upstream)
    ],
)
def test_what_needs_judgement_is_left_to_python(state_dir: Path, asked: str) -> None:
    lists = [*LISTS, (spec("doh", "dns-bypass"), "use-application-dns.net\n")]
    python, fast, counters = fronts(engine_for(state_dir, lists), "nxdomain")
    wire = dns.message.make_query(asked, "A").to_wire()
    decided = fast.admit(wire, CLIENT)
    assert not isinstance(decided, bytes)
    expected = python.admit(wire, CLIENT)
    assert isinstance(expected, Admission)
    assert (decided.admit, decided.hit) == (expected.admit, expected.hit)
    assert counters.answered == {}


def test_a_staff_allow_beats_the_list_in_c_too(state_dir: Path) -> None:
    engine = engine_for(state_dir, LISTS[:1])
    _, fast, _ = fronts(engine, "nxdomain")
    wire = dns.message.make_query("judi.test", "A").to_wire()
    assert isinstance(fast.admit(wire, CLIENT), bytes)
    record_staff_edit(
        engine.audit, TEST_NEVER_BLOCK, user="ani", action="allow", name="judi.test",
        category=None, reason="dinas pariwisata", categories=("gambling",),
    )  # fmt: skip
    assert engine.refresh()
    decided = fast.admit(wire, CLIENT)
    assert isinstance(decided, Admission) and decided.admit is Admit.PASS


def test_a_new_snapshot_is_used_at_once(state_dir: Path) -> None:
    engine = engine_for(state_dir, LISTS[:1])
    _, fast, _ = fronts(engine, "nxdomain")
    new = dns.message.make_query("baru.test", "A").to_wire()
    old = dns.message.make_query("judi.test", "A").to_wire()
    assert not isinstance(fast.admit(new, CLIENT), bytes)
    publish_lists(state_dir, [(spec("judi", "gambling"), "baru.test\n")])
    assert engine.refresh()
    answered = fast.admit(new, CLIENT)
    assert isinstance(answered, bytes)
    assert dns.message.from_wire(answered).rcode() == dns.rcode.NXDOMAIN
    assert not isinstance(fast.admit(old, CLIENT), bytes)  # no longer listed


def test_c_answers_count_as_the_python_ones(state_dir: Path) -> None:
    engine = engine_for(state_dir, LISTS[:2])
    with_c = DnsServer(chain=None, counters=DnsCounters(),  # type: ignore[arg-type]
                       front=build_front(DnsConfig(), NetworkConfig(), engine))  # fmt: skip
    python_counters = DnsCounters()
    python_front = build_front(DnsConfig(), NetworkConfig(), engine)
    without_c = DnsServer(None, python_counters, None)  # type: ignore[arg-type]
    without_c.front = python_front  # set after construction: no answers in C
    assert with_c.front is not None and with_c.front.fast is not None
    assert python_front.fast is None
    names = ["judi.test", "www.bokep.test", "judi.test", "a.slot.example"]
    for server in (with_c, without_c):
        for name in names:
            reply = server.answer_now(dns.message.make_query(name, "A").to_wire(), CLIENT)
            assert isinstance(reply, bytes)
    assert with_c.counters.to_json() == python_counters.to_json()
    assert with_c.counters.blocked == {"gambling": 3, "porn": 1}
