"""Everything `hotspot-gateway run` starts, in the order that keeps the hotspot fail-closed.

The firewall goes first, with the sessions restored from the store, so from the first packet
nobody unadmitted gets out and nobody admitted is dropped by the restart; then the resolver
(its own process, on uvloop), the portal, and the session keeper. Stopping runs the other
way and leaves the firewall closed: admitted phones lose the internet rather than keep it
unfiltered.
"""

from __future__ import annotations

import logging
import multiprocessing
import multiprocessing.process
import os
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from gateway.admission import ClientAdmission, NoFirewall
from gateway.config import GatewayConfig
from gateway.dns.service import portal_names_of, run_dns
from gateway.firewall.plan import FirewallPlan, plan_from_config
from gateway.firewall.ruleset import AdmittedClient
from gateway.firewall.runner import Firewall, FirewallError
from gateway.lan_address import ensure_lan_address
from gateway.part_process import run_part
from gateway.portal.app import create_portal_app
from gateway.portal.server import PortalServer, serve_portal
from gateway.portal.settings import settings_from_config
from gateway.portal.stats import PortalStats
from gateway.portal.stats_file import stats_path, write_stats
from gateway.portal_secret import portal_secret
from gateway.proxy.service import run_proxy
from gateway.sessions.keeper import SessionKeeper
from gateway.sessions.neighbours import answers_arp
from gateway.sessions.store import SessionStore, sessions_path

log = logging.getLogger(__name__)

START_LIMIT = 60.0  # seconds for a new resolver or proxy to map the lists and listen
SWEEP_LIMITS = (0.5, 10.0)  # seconds between idle sweeps: a fifth of idle_timeout, within these


@dataclass
class Parts:
    """What is running, for stop() and for the health check."""

    dns: multiprocessing.process.BaseProcess | None = None
    proxy: multiprocessing.process.BaseProcess | None = None
    portal: list[PortalServer] | None = None
    console: PortalServer | None = None
    keeper: threading.Thread | None = None


def firewall_plan(config: GatewayConfig) -> FirewallPlan:
    """The firewall's plan; admitted phones' web traffic goes to the proxy when it runs."""
    return plan_from_config(config, config.proxy.listen_port if config.proxy.enabled else None)


def resolver_config(config: GatewayConfig) -> tuple[object, ...]:
    """What the resolver process is started with: a change here needs a new one."""
    return (config.dns, config.network, portal_names_of(config), config.blocklists.state_dir)


def proxy_config(config: GatewayConfig) -> tuple[object, ...]:
    """What the proxy process is started with: a change here needs a new one."""
    return (config.proxy, config.network, config.blocklists.state_dir, config.portal)


class Hotspot:
    """The whole gateway in one process tree: start, reload, stop."""

    def __init__(self, config: GatewayConfig, clock: Callable[[], float] = time.time) -> None:
        self.config = config
        self.clock = clock
        self.parts = Parts()
        self._stopping = threading.Event()
        self.store = SessionStore(sessions_path(config))
        self.firewall = Firewall(firewall_plan(config)) if config.firewall.enabled else None
        self.keeper = self._make_keeper(config)
        self.stats = PortalStats()

    def _make_keeper(self, config: GatewayConfig) -> SessionKeeper:
        lan = config.network.lan_interface
        return SessionKeeper(
            self.store,
            self.firewall or NoFirewall(),
            probe=lambda ip: answers_arp(ip, lan),
            # A quiet phone that answered is asked again after another idle period, at most
            # once a minute (each ARP question wakes a sleeping phone).
            probe_every=min(60.0, config.portal.idle_timeout),
            clock=self.clock,
            idle_timeout=config.portal.idle_timeout,
            session_timeout=config.portal.session_timeout,
        )

    def start(self) -> None:
        """LAN address, proxy, firewall with the restored sessions, resolver, portal, keeper."""
        if self.firewall is not None and ensure_lan_address(self.config.network):
            log.info("added %s to %s", self.config.network.lan_address,
                     self.config.network.lan_interface)  # fmt: skip
        if self.config.proxy.enabled:
            # Listening before the firewall sends phones to it.
            self.parts.proxy = self._start_process(run_proxy, self.config, "proxy")
        if self.firewall is not None:
            self._start_firewall(self.firewall)
        # The firewall's first ruleset already holds the live sessions.
        restored = self.keeper.restore(readmit=self.firewall is None)
        log.info("sessions restored: %d", len(restored))
        self.parts.dns = self._start_dns(self.config)
        if self.config.portal.enabled:
            self.parts.portal = self._start_portal(self.config)
        self.parts.console = self._start_console(self.config)
        self.parts.keeper = threading.Thread(target=self._keep_sessions, name="keeper", daemon=True)
        self.parts.keeper.start()

    def _start_firewall(self, firewall: Firewall) -> None:
        now = self.clock()
        live = [s for s in self.store.sessions() if s.expires > now]
        # Admitted phones are in the very first ruleset: a restart or reload drops nobody.
        firewall.start([AdmittedClient(s.ip, s.expires - now) for s in live])
        try:
            firewall.apply_shaping()
        except FirewallError as exc:  # fair sharing is not filtering: the hotspot still runs
            log.error("fair sharing is off: %s", exc)

    def _start_dns(self, config: GatewayConfig) -> multiprocessing.process.BaseProcess:
        # Its own process: the resolver's event loop must never wait on the portal or nft.
        return self._start_process(run_dns, config, "dns")

    @staticmethod
    def _start_process(
        target: Callable[..., None], config: GatewayConfig, name: str
    ) -> multiprocessing.process.BaseProcess:
        context = multiprocessing.get_context("spawn")
        ready = context.Event()
        process = context.Process(target=run_part, args=(target, config, ready), name=name,
                                  daemon=True)  # fmt: skip
        process.start()
        deadline = time.monotonic() + START_LIMIT
        while not ready.wait(0.1):
            if not process.is_alive():  # died starting: healthy() reports it at once
                log.error("the %s exited while starting", name)
                break
            if time.monotonic() > deadline:
                log.error("the %s is not listening after %s s", name, START_LIMIT)
                break
        return process

    def _start_portal(self, config: GatewayConfig) -> list[PortalServer]:
        admission = ClientAdmission(self.store, self.keeper, self.firewall or NoFirewall(), config,
                                    self.clock)  # fmt: skip
        app = create_portal_app(
            settings_from_config(config),
            admission,
            self.stats,
            blocked_category=admission.blocked_category,
            secret_key=portal_secret(config.blocklists.state_dir),
        )
        servers = [serve_portal(app, config.portal.listen, None)]
        portal = config.portal
        if portal.tls_cert is not None and portal.tls_key is not None:
            host = config.portal.listen.rpartition(":")[0]
            servers.append(serve_portal(app, f"{host}:{portal.https_port}",
                                        (portal.tls_cert, portal.tls_key)))  # fmt: skip
        return servers

    def _keep_sessions(self) -> None:
        low, high = SWEEP_LIMITS
        every = min(high, max(low, self.config.portal.idle_timeout / 5))
        while not self._stopping.wait(every):
            try:
                self.keeper.sweep()
            except Exception:  # one bad sweep must not end the keeper; the next one retries
                log.exception("session sweep failed")
            self._save_stats()

    def _save_stats(self) -> None:
        if not self.config.portal.enabled:
            return
        try:
            write_stats(stats_path(self.config.blocklists.state_dir), self.stats.snapshot())
        except OSError as exc:  # counters are for staff; serving goes on
            log.warning("could not save the portal's counters: %s", exc)

    def _start_console(self, config: GatewayConfig) -> PortalServer:
        # The management listener only; config checks it is not on the hotspot LAN.
        from gateway.admin.console import create_console

        admin = config.admin
        tls = (admin.tls_cert, admin.tls_key) if admin.tls_cert and admin.tls_key else None
        app = create_console(config, self.kick, secure_cookies=tls is not None,
                             lists_changed=self.lists_changed)  # fmt: skip
        return serve_portal(app, admin.listen, tls)

    def lists_changed(self) -> None:
        """Staff changed the lists: the resolver and the proxy look at them now, not in 5 s."""
        for process in (self.parts.dns, self.parts.proxy):
            if process is not None and process.is_alive() and process.pid:
                os.kill(process.pid, signal.SIGHUP)

    def kick(self, ip: str) -> bool:
        """End a phone's session (the console's Kick): store, firewall, its connections."""
        session = self.store.remove(ip)
        if session is None:
            return False
        if self.firewall is not None:
            self.firewall.release(ip)
            self.firewall.forget_connections(ip)
        return True

    def reload(self, config: GatewayConfig) -> None:
        """Take a new config: firewall and resolver swapped with no gap, portal restarted."""
        old, previous = self.parts, self.config
        self.config = config
        if config.firewall.enabled:
            self.firewall = Firewall(firewall_plan(config))
            self._start_firewall(self.firewall)  # one nft transaction: never open, never shut
        elif self.firewall is not None:
            self.firewall.remove()
            self.firewall = None
        self.keeper = self._make_keeper(config)
        same_resolver = resolver_config(config) == resolver_config(previous)
        same_proxy = proxy_config(config) == proxy_config(previous)
        # The resolver shares its port (SO_REUSEPORT): the new one listens before the old stops.
        dns = self._renew(old.dns, same_resolver, lambda: self._start_dns(config), overlap=True)

        def start_proxy() -> multiprocessing.process.BaseProcess:
            return self._start_process(run_proxy, config, "proxy")

        enabled = config.proxy.enabled
        proxy = self._renew(old.proxy, same_proxy and enabled, start_proxy if enabled else None,
                            overlap=False)  # fmt: skip
        self.parts = Parts(dns=dns, proxy=proxy, keeper=old.keeper)
        for server in [*(old.portal or []), *([old.console] if old.console else [])]:
            server.stop()
        if config.portal.enabled:
            self.parts.portal = self._start_portal(config)
        self.parts.console = self._start_console(config)

    @staticmethod
    def _renew(
        running: multiprocessing.process.BaseProcess | None,
        same: bool,
        start: Callable[[], multiprocessing.process.BaseProcess] | None,
        overlap: bool,
    ) -> multiprocessing.process.BaseProcess | None:
        """A resolver or proxy after a reload: the same one, or a new one.

        Unchanged settings: it is told to look at the lists now (SIGHUP). Changed: replaced,
        the new one started first when it can listen beside the old (`overlap`; queries
        already queued on the old one's socket can be lost).
        """
        if running is not None and same:
            os.kill(running.pid or 0, signal.SIGHUP)  # new lists now; sockets and caches kept
            return running
        new = start() if start is not None and overlap else None
        if running is not None:
            running.terminate()
            running.join(timeout=10)
        if start is not None and not overlap:
            new = start()
        return new

    def healthy(self) -> str | None:
        """None while every part runs; else which part stopped."""
        if self.parts.dns is not None and not self.parts.dns.is_alive():
            return "the resolver exited"
        if self.parts.proxy is not None and not self.parts.proxy.is_alive():
            return "the proxy exited"
        if self.parts.keeper is not None and not self.parts.keeper.is_alive():
            return "the session keeper stopped"
        return None

    def stop(self) -> None:
        """Stop everything; the firewall stays closed (fail closed)."""
        self._stopping.set()
        console = [self.parts.console] if self.parts.console else []
        for server in [*(self.parts.portal or []), *console]:
            server.stop()
        for process in (self.parts.dns, self.parts.proxy):
            if process is not None:
                process.terminate()
                process.join(timeout=10)
        if self.parts.keeper is not None:
            self.parts.keeper.join(timeout=10)
        self._save_stats()
        if self.firewall is not None:
            self.firewall.stop()
