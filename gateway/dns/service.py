"""Run the resolver: engine, chain, listeners and the blocklist watcher, until cancelled."""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import multiprocessing.connection
import signal
import sys
from typing import Protocol

import uvloop

from filters.engine import BlocklistEngine
from gateway.config import GatewayConfig
from gateway.dns.chain import build_chain, build_front
from gateway.dns.counters import DnsCounters
from gateway.dns.query_log import QueryLog
from gateway.dns.reload import keep_blocklists_fresh
from gateway.dns.server import DnsServer
from gateway.stats_files import keep_publishing, stats_dir


class Ready(Protocol):
    """Told once the resolver listens (a multiprocessing.Event across processes)."""

    def set(self) -> None:
        """Say so."""
        ...


def endpoint(text: str) -> tuple[str, int]:
    """("address", port) from the config's "address:port" or "[v6]:port"."""
    host, _, port = text.rpartition(":")
    return host.strip("[]"), int(port)


def portal_names_of(config: GatewayConfig) -> tuple[str, ...]:
    """Names the resolver answers with the gateway's address: the portal's, when it runs."""
    return (config.portal.host_name,) if config.portal.enabled else ()


async def serve_dns(
    config: GatewayConfig, counters: DnsCounters | None = None, ready: Ready | None = None
) -> None:
    """Serve DNS on every `[dns].listen` address until the task is cancelled."""
    counters = counters or DnsCounters()
    engine = await asyncio.to_thread(BlocklistEngine, config.blocklists.state_dir)
    log = None
    if config.dns.query_log:
        log = QueryLog(config.blocklists.state_dir / "querylog", config.dns.query_log_days)
    portal_names = portal_names_of(config)
    chain = build_chain(config.dns, config.network, engine, counters, portal_names, query_log=log)
    front = build_front(config.dns, config.network, engine, portal_names=portal_names)
    server = DnsServer(chain, counters, front)
    await server.start([endpoint(e) for e in config.dns.listen])
    if ready is not None:
        ready.set()  # listening: whoever started us may now stop the resolver we replace
    wake = asyncio.Event()
    with contextlib.suppress(NotImplementedError, RuntimeError):  # not in the main thread
        # SIGHUP (from `run` reloading, or an operator): look for new lists now.
        asyncio.get_running_loop().add_signal_handler(signal.SIGHUP, wake.set)
    watcher = asyncio.create_task(keep_blocklists_fresh(engine, wake=wake))
    stats = stats_dir(config.blocklists.state_dir)
    publisher = asyncio.create_task(keep_publishing(stats, "dns", counters.to_json))
    try:
        await asyncio.Event().wait()  # until cancelled
    finally:
        for task in (watcher, publisher):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await server.close()
        if log is not None:
            log.close()


def run_dns(config: GatewayConfig, ready: Ready | None = None) -> None:
    """Serve DNS in the foreground on uvloop until interrupted.

    libuv's event loop answered about half again as many queries as asyncio's own in
    bench/dns_bench.py.
    """
    uvloop.run(serve_dns(config, ready=ready))


def run_dns_workers(config: GatewayConfig, workers: int) -> None:
    """Serve DNS from `workers` processes sharing the listen addresses and the snapshot.

    The listeners set SO_REUSEPORT, so the kernel spreads queries over the processes, and each
    maps the same snapshot file. If one worker dies, all are stopped, so the supervisor
    (systemd) restarts the whole resolver rather than running it short-handed.
    """
    if workers <= 1:
        run_dns(config)
        return
    # SIGTERM (systemd stopping us, the bench) must stop the workers too, not orphan them.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(0))
    context = multiprocessing.get_context("spawn")  # no event loop or mmap inherited by fork
    processes = [
        context.Process(target=run_dns, args=(config,), daemon=True) for _ in range(workers)
    ]
    for process in processes:
        process.start()
    try:
        multiprocessing.connection.wait([p.sentinel for p in processes])
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.join(timeout=10)
