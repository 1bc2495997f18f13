"""`hotspot-gateway run`: the whole gateway in the foreground until SIGTERM; SIGHUP reloads.

Signals only set flags here; the work they ask for happens in the main loop, outside the
handler, so a reload never runs halfway through another one.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from gateway.config import GatewayConfig, load_config
from gateway.config_values import ConfigError
from gateway.errors import CommandFailed, UsageError
from gateway.firewall.plan import plan_from_config
from gateway.firewall.runner import Firewall, FirewallError
from gateway.lan_address import LanAddressError
from gateway.open_files import raise_open_files_limit

if TYPE_CHECKING:
    from gateway.hotspot import Hotspot

log = logging.getLogger("hotspot-gateway")
HEALTH_EVERY = 1.0  # seconds between checks that every part still runs
STOP_GRACE = 2.0  # seconds a dead part waits for the stop signal that may explain it

AddOptions = Callable[[argparse.ArgumentParser], None]


def add_run_command(commands: Any, add_common: AddOptions) -> None:
    """Register `run`."""
    run = commands.add_parser(
        "run", help="run the gateway in the foreground", description=__doc__.splitlines()[0]
    )
    add_common(run)
    run.add_argument("--preflight", action="store_true",
                     help="only check that the config loads and its interfaces and ports are "
                          "ready; change nothing (the installer uses this)")  # fmt: skip
    run.set_defaults(handler=cmd_run)
    dhcp = commands.add_parser(
        "dhcp-config",
        help="print the dnsmasq DHCP config for the LAN",
        description="The dnsmasq lines (DHCP only; option 114 when the portal has a "
        "certificate) for this gateway's LAN.",
    )
    add_common(dhcp)
    dhcp.set_defaults(handler=cmd_dhcp_config)


def release_from_firewall(config: Any, ip: str) -> None:
    """For `sessions kick`: take the phone out of the firewall and end its connections."""
    firewall = Firewall(plan_from_config(config))
    try:
        firewall.release(ip)
        firewall.forget_connections(ip)
    except FirewallError as exc:
        raise CommandFailed(f"sessions kick: firewall: {exc}") from None


def cmd_run(args: argparse.Namespace) -> int:
    """Start every part, then wait for SIGTERM (stop) or SIGHUP (reload config and lists)."""
    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")  # fmt: skip
    config = load_config(args.config)
    check_can_start(config)  # before anything changes: a wrong key changes nothing
    if args.preflight:
        print(f"run: {args.config} is ready to start")
        return 0
    raise_open_files_limit()  # before the parts start: each process inherits it
    wake = threading.Event()
    asked = {"stop": False, "reload": False}

    def ask(what: str) -> Callable[[int, Any], None]:
        def handler(signum: int, frame: Any) -> None:
            asked[what] = True
            wake.set()

        return handler

    # Here, not at the top: the other commands need not load mitmproxy and the rest.
    from gateway.hotspot import Hotspot

    signal.signal(signal.SIGTERM, ask("stop"))
    signal.signal(signal.SIGINT, ask("stop"))
    signal.signal(signal.SIGHUP, ask("reload"))
    hotspot = Hotspot(config)
    try:
        hotspot.start()
    except FirewallError as exc:
        hotspot.stop()
        raise CommandFailed(f"run: firewall: {exc}") from None
    except LanAddressError as exc:
        hotspot.stop()
        raise CommandFailed(f"run: network.lan_interface: {exc}") from None
    log.info("running: portal %s, DNS %s", config.portal.listen, ", ".join(config.dns.listen))
    try:
        while not asked["stop"]:
            wake.wait(HEALTH_EVERY)
            wake.clear()
            if asked["reload"]:
                asked["reload"] = False
                _reload(hotspot, args)
            problem = hotspot.healthy()
            if problem is not None and not asked["stop"]:
                # A stop for the whole process group (systemd, Ctrl-C) reaches the resolver
                # too, and it may be gone before our own handler has run: not a failure.
                wake.wait(STOP_GRACE)
                if not asked["stop"]:
                    raise CommandFailed(f"run: {problem}")
    finally:
        hotspot.stop()
    closed = "; the firewall stays closed until the next start" if hotspot.firewall else ""
    log.info("stopped%s", closed)
    return 0


def cmd_dhcp_config(args: argparse.Namespace) -> int:
    """`dhcp-config`: print what /etc/dnsmasq.d/hotspot-gateway.conf should hold."""
    from gateway.dhcp import render_dnsmasq_conf

    print(render_dnsmasq_conf(load_config(args.config)), end="")
    return 0


def check_can_start(config: GatewayConfig) -> None:
    """Interfaces and ports the config names must exist and be free; else a one-line error."""
    from gateway.doctor.checks import start_problems
    from gateway.doctor.facts import gather_for_start

    problems = start_problems(config, gather_for_start())
    if problems:
        first = problems[0]
        more = (
            f" (and {len(problems) - 1} more: run `hotspot-gateway doctor`)" if problems[1:] else ""
        )
        raise UsageError(f"run: {first.key}: {first.title}; fix: {first.fix}{more}")


def _reload(hotspot: Hotspot, args: argparse.Namespace) -> None:
    try:
        config = load_config(args.config)
    except ConfigError as exc:  # a typo in the file must not take the hotspot down
        log.error("reload refused, the running config stays: %s", exc)
        return
    hotspot.reload(config)
    log.info("reloaded config and lists")
