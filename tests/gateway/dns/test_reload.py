"""A new snapshot and staff edits are picked up while serving, and no query fails meanwhile."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

import dns.asyncquery
import dns.message
import dns.rcode

from filters.staff import AuditEvent, AuditLog
from filters.store import SnapshotStore
from gateway.config import DnsConfig, NetworkConfig
from gateway.dns.chain import build_chain, build_front
from gateway.dns.counters import DnsCounters
from gateway.dns.reload import keep_blocklists_fresh
from gateway.dns.server import DnsServer
from tests.filters.builders import engine_for, publish_lists, spec

LAN = "10.77.0.1"


def test_swaps_and_staff_edits_apply_while_every_query_is_answered(state_dir: Path) -> None:
    engine = engine_for(state_dir, [(spec("v1", "gambling"), "old-judi.test\n")])

    async def ask(port: int, name: str) -> dns.message.Message:
        query = dns.message.make_query(name, "A")
        return await dns.asyncquery.udp(query, "127.0.0.1", port=port, timeout=2)

    async def blocked(port: int, name: str) -> bool:
        reply = await ask(port, name)  # unlisted names get SERVFAIL: the upstream is closed
        return reply.rcode() == dns.rcode.NOERROR and reply.answer[0][0].address == LAN

    async def main() -> None:
        counters = DnsCounters()
        config = DnsConfig(upstreams=("127.0.0.1:9",), rate_limit=0)
        chain = build_chain(config, NetworkConfig(), engine, counters, upstream_timeout=0.2)
        server = DnsServer(chain, counters, build_front(config, NetworkConfig(), engine))
        ((_, port),) = await server.start([("127.0.0.1", 0)])
        watcher = asyncio.create_task(keep_blocklists_fresh(engine, interval=0.05))
        failures: list[str] = []
        answered = [0]

        async def hammer() -> None:
            while answered[0] < 10_000:
                for name in ("old-judi.test", "new-judi.test"):
                    try:
                        await ask(port, name)
                        answered[0] += 1
                    except Exception as exc:  # any lost or broken answer counts
                        failures.append(repr(exc))

        load = asyncio.create_task(hammer())
        try:
            assert await blocked(port, "old-judi.test")
            publish_lists(state_dir, [(spec("v2", "gambling"), "new-judi.test\n")])
            for _ in range(100):  # bounded: 100 x 50 ms
                if await blocked(port, "new-judi.test"):
                    break
                await asyncio.sleep(0.05)
            assert await blocked(port, "new-judi.test")
            assert not await blocked(port, "old-judi.test")
            AuditLog(SnapshotStore(state_dir).audit_path).append(
                AuditEvent("2026-11-23T00:00:00Z", "ani", "add", "staff-judi.test", "gambling", "x")
            )
            for _ in range(100):
                if await blocked(port, "staff-judi.test"):
                    break
                await asyncio.sleep(0.05)
            assert await blocked(port, "staff-judi.test")
        finally:
            load.cancel()
            watcher.cancel()
            for task in (load, watcher):
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            await server.close()
        assert failures == []
        assert answered[0] >= 10  # the load really ran across the swaps

    asyncio.run(asyncio.wait_for(main(), 30))
