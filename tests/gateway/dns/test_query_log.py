"""Privacy: no query log unless asked for; when on, anonymised and pruned by age."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from dnslib import DNSRecord

from gateway.config import DnsConfig, NetworkConfig
from gateway.dns.chain import build_chain, build_front
from gateway.dns.counters import DnsCounters
from gateway.dns.model import Transport
from gateway.dns.query_log import QueryLog, anonymise
from gateway.dns.server import DnsServer
from tests.filters.builders import engine_for, spec

DAY = 86400.0


class FakeClock:
    def __init__(self) -> None:
        self.now = 1_795_000_000.0  # 2026-11-18

    def __call__(self) -> float:
        return self.now


def serve(state_dir: Path, log: QueryLog | None, clients: list[str]) -> None:
    engine = engine_for(state_dir, [(spec("judi", "gambling"), "judi.test\n")])
    counters = DnsCounters()
    chain = build_chain(DnsConfig(upstreams=("127.0.0.1:9",)), NetworkConfig(), engine, counters,
                        upstream_timeout=0.2, query_log=log)  # fmt: skip
    config = DnsConfig(upstreams=("127.0.0.1:9",), query_log=log is not None)
    server = DnsServer(chain, counters, build_front(config, NetworkConfig(), engine))

    async def main() -> None:
        for client in clients:
            await server.answer(bytes(DNSRecord.question("judi.test").pack()), client,
                                Transport.UDP)  # fmt: skip

    asyncio.run(main())


def test_client_addresses_are_reduced_to_their_network() -> None:
    assert anonymise("10.77.0.123") == "10.77.0.0/24"
    assert anonymise("2001:db8:aa:bb::1") == "2001:db8:aa::/48"
    assert anonymise("not-an-address") == "unknown"


def test_nothing_is_written_by_default(state_dir: Path, tmp_path: Path) -> None:
    serve(state_dir, None, ["10.77.0.10"])
    assert DnsConfig().query_log is False
    assert not [p for p in tmp_path.rglob("queries-*")]


def test_opt_in_log_is_anonymised_and_old_days_are_deleted(state_dir: Path, tmp_path: Path):
    clock = FakeClock()
    log = QueryLog(tmp_path / "querylog", days=2, clock=clock)
    serve(state_dir, log, ["10.77.0.10"])
    clock.now += 3 * DAY
    serve(state_dir / "again", log, ["10.77.0.11"])
    log.close()
    files = sorted(p.name for p in (tmp_path / "querylog").iterdir())
    assert files == ["queries-2026-11-21.jsonl"]  # the first day is past retention
    (line,) = [json.loads(x) for x in (tmp_path / "querylog" / files[0]).read_text().splitlines()]
    assert line["client"] == "10.77.0.0/24" and "10.77.0.11" not in json.dumps(line)
    assert (line["name"], line["outcome"]) == ("judi.test", "blocked")
