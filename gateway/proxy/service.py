"""The transparent proxy as a process: mitmproxy embedded, with the filters' addons.

The firewall sends admitted phones' TCP 80 and 443 here (DNAT to `lan_address:listen_port`);
mitmproxy's transparent mode finds each connection's original destination. HTTPS is never
decrypted: the addons read the server name in the ClientHello and either pass the connection
through untouched or close it. HTTP is checked by host. Connections to the real server are
opened only once the addons have let a connection through (`connection_strategy = lazy`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from pathlib import Path
from typing import Protocol

import uvloop
from mitmproxy import master, options
from mitmproxy.addons import core, disable_h2c, errorcheck, proxyserver, tlsconfig

from filters.addons import BoundedClientHello, ProxyCounters, default_addons
from filters.engine import BlocklistEngine
from gateway.config import GatewayConfig
from gateway.dns.reload import keep_blocklists_fresh
from gateway.portal.block_page import block_page_renderer
from gateway.portal.settings import settings_from_config
from gateway.proxy.backlog import ListenBacklog
from gateway.stats_files import keep_publishing, stats_dir

log = logging.getLogger(__name__)

PROXY_DIR = "mitmproxy"  # under state_dir: mitmproxy's own files (it never needs its CA here)


class Ready(Protocol):
    """Told once the proxy listens (a multiprocessing.Event across processes)."""

    def set(self) -> None:
        """Say so."""
        ...


class ReadySignal:
    """An addon that says when mitmproxy is up: its `running` hook comes after the servers'."""

    def __init__(self, ready: Ready) -> None:
        self.ready = ready

    def running(self) -> None:
        """The running hook: every addon before this one runs, the listener included."""
        self.ready.set()


def proxy_options(config: GatewayConfig) -> options.Options:
    """The options of mitmproxy that exist before any addon: mode and where its files go."""
    confdir = Path(config.blocklists.state_dir) / PROXY_DIR
    confdir.mkdir(parents=True, exist_ok=True)
    listen = f"{config.network.lan_address}:{config.proxy.listen_port}"
    return options.Options(mode=[f"transparent@{listen}"], confdir=str(confdir))


def addon_options() -> dict[str, object]:
    """Options the addons declare, set once they are loaded."""
    return {
        # No upstream connection before the addons have let a connection through.
        "connection_strategy": "lazy",
        # Nothing of residents' browsing is kept in memory: bodies stream through.
        "stream_large_bodies": "64k",
    }


def mitmproxy_addons(counters: ProxyCounters) -> list[object]:
    """The few of mitmproxy's own addons a filtering proxy needs, not its default set.

    The default set would answer phones itself (`onboarding` serves mitm.it, which offers a CA
    certificate to install), keep files (`command_history`, `save`), rewrite traffic, and cost
    every connection a call into each of its thirty addons for every event.
    """
    return [
        core.Core(),  # the core options and commands
        proxyserver.Proxyserver(),  # the listener and its connections
        # What each connection is (TLS, HTTP or raw TCP): mitmproxy's NextLayer, deciding
        # only on a whole ClientHello and refusing one that grows past a size cap.
        BoundedClientHello(counters),
        tlsconfig.TlsConfig(),  # the TLS options the layers read (nothing is decrypted)
        disable_h2c.DisableH2C(),  # cleartext HTTP/2 upgrades refused, as mitmproxy does
        errorcheck.ErrorCheck(),  # a proxy that cannot listen (address taken) exits
    ]


async def serve_proxy(config: GatewayConfig, ready: Ready | None = None) -> None:
    """Run the proxy until cancelled or SIGTERM."""
    engine = await asyncio.to_thread(BlocklistEngine, config.blocklists.state_dir)
    proxy = master.Master(proxy_options(config), with_termlog=False)
    counters = ProxyCounters()
    proxy.addons.add(*mitmproxy_addons(counters))
    settings = settings_from_config(config)
    proxy.addons.add(*default_addons(engine, block_page_renderer(settings), counters=counters))
    proxy.addons.add(ListenBacklog())  # after proxyserver, whose listeners it follows
    if ready is not None:
        proxy.addons.add(ReadySignal(ready))  # last: its hook runs once the others have started
    proxy.options.update(**addon_options(), portal_hosts=sorted(settings.portal_hosts))
    loop = asyncio.get_running_loop()
    wake = asyncio.Event()
    with contextlib.suppress(NotImplementedError, RuntimeError):
        loop.add_signal_handler(signal.SIGTERM, proxy.shutdown)
        loop.add_signal_handler(signal.SIGHUP, wake.set)  # new lists now
    watcher = asyncio.create_task(keep_blocklists_fresh(engine, wake=wake))
    stats = stats_dir(config.blocklists.state_dir)
    publisher = asyncio.create_task(keep_publishing(stats, "proxy", counters.to_json))
    try:
        await proxy.run()
    finally:
        for task in (watcher, publisher):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


def run_proxy(config: GatewayConfig, ready: Ready | None = None) -> None:
    """Serve in the foreground (the proxy's own process)."""
    uvloop.run(serve_proxy(config, ready))
