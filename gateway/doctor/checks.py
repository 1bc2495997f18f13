"""`doctor`'s judgement: pure functions from the config and the machine's facts to findings.

Each finding says what was checked, in Indonesian then English, and for anything wrong the fix:
the config key to change or the command to run. A failure blocks service (phones cannot get
online, or get online unfiltered); a warning does not, yet.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

from gateway.config import GatewayConfig
from gateway.doctor.facts import Listener, MachineFacts

OK, WARN, FAIL = "ok", "warn", "fail"
SANE_CLOCK_FROM = datetime(2026, 1, 1, tzinfo=UTC).timestamp()  # before this release existed
STALE_LISTS = 2 * 86400.0  # the update timer runs daily
LOW_DISK, NO_DISK = 2 << 30, 200 << 20  # a 10-million-name snapshot and two kept for rollback


@dataclass(frozen=True)
class Finding:
    """One line of the checklist."""

    status: str
    title: str
    fix: str = ""
    key: str = ""  # the config key at fault, when a key is


@dataclass(frozen=True)
class Endpoint:
    """An address and port a part of the gateway must be able to bind, and its config key."""

    key: str
    proto: str
    address: str
    port: int


def endpoint(text: str) -> tuple[str, int]:
    """("address", port) from "address:port" or "[v6]:port"."""
    host, _, port = text.rpartition(":")
    return host.strip("[]"), int(port)


def needed_endpoints(config: GatewayConfig) -> list[Endpoint]:
    """Every listener the enabled parts will open."""
    needed = []
    for text in config.dns.listen:
        host, port = endpoint(text)
        needed += [Endpoint("dns.listen", proto, host, port) for proto in ("udp", "tcp")]
    if config.portal.enabled:
        host, port = endpoint(config.portal.listen)
        needed.append(Endpoint("portal.listen", "tcp", host, port))
        if config.portal.tls_cert is not None:
            needed.append(Endpoint("portal.https_port", "tcp", host, config.portal.https_port))
    if config.proxy.enabled:
        lan = config.network.lan_address
        needed.append(Endpoint("proxy.listen_port", "tcp", lan, config.proxy.listen_port))
    host, port = endpoint(config.admin.listen)
    needed.append(Endpoint("admin.listen", "tcp", host, port))
    return needed


def _wildcard(address: str) -> bool:
    return address in ("0.0.0.0", "::", "*", "")


def conflicts(wanted: Endpoint, listeners: list[Listener]) -> list[Listener]:
    """Listeners that would stop `wanted` from binding."""
    return [
        held
        for held in listeners
        if held.proto == wanted.proto
        and held.port == wanted.port
        and (held.address == wanted.address or _wildcard(held.address) or _wildcard(wanted.address))
    ]


def port_fix(wanted: Endpoint, held: Listener) -> str:
    """How to free a port, with the usual suspects named."""
    fix = f"hentikan / stop {held.who()}, atau ubah / or change {wanted.key}"
    if held.program.startswith("systemd-resolve"):
        fix += "; systemd-resolved: DNSStubListener=no in /etc/systemd/resolved.conf"
    elif held.program == "dnsmasq":
        fix += "; dnsmasq for DHCP only: port=0 (see deploy/dnsmasq-hotspot.conf)"
    return fix


def check_interfaces(
    config: GatewayConfig, facts: MachineFacts, running: bool = True
) -> Iterator[Finding]:
    """Both interfaces exist; the LAN one carries lan_address; the uplink has an address."""
    net = config.network
    if facts.addresses is None:
        yield Finding(FAIL, "Antarmuka tidak terbaca / cannot read interfaces", "install iproute2")
        return
    have = ", ".join(sorted(facts.addresses)) or "none"
    for key, name in (
        ("network.lan_interface", net.lan_interface),
        ("network.wan_interface", net.wan_interface),
    ):
        if name not in facts.addresses:
            yield Finding(
                FAIL,
                f"Antarmuka {name} tidak ada / no interface {name} ({key})",
                f"set {key} to one of: {have}",
                key,
            )
    lan = facts.addresses.get(net.lan_interface)
    if lan is not None:
        if net.lan_address in lan:
            yield Finding(OK, f"LAN {net.lan_interface} beralamat / has {net.lan_address}")
        else:
            prefix = ipaddress.ip_network(net.client_subnet).prefixlen
            # `run` adds it at start: missing while running means something took it away.
            yield Finding(
                FAIL if running else WARN,
                f"LAN {net.lan_interface} tanpa / lacks {net.lan_address}",
                f"hotspot-gateway run adds it at start; by hand: "
                f"ip addr add {net.lan_address}/{prefix} dev {net.lan_interface}",
            )
    wan = facts.addresses.get(net.wan_interface)
    if wan is not None:
        if wan:
            yield Finding(OK, f"Uplink {net.wan_interface} beralamat / has {', '.join(wan)}")
        else:
            yield Finding(
                FAIL,
                f"Uplink {net.wan_interface} tanpa alamat / has no address",
                f"connect {net.wan_interface} and check DHCP from the uplink",
            )
        if facts.default_route_via not in (None, net.wan_interface):
            yield Finding(
                WARN,
                f"Rute default lewat / default route via {facts.default_route_via}",
                f"the uplink should be {net.wan_interface} (network.wan_interface)",
            )


def check_ports(config: GatewayConfig, facts: MachineFacts, ours_ok: bool) -> Iterator[Finding]:
    """Each port the gateway needs is free, or held by the gateway itself (`ours_ok`)."""
    if facts.listeners is None:
        yield Finding(WARN, "Port tidak terbaca / cannot read listening ports", "install iproute2")
        return
    for wanted in needed_endpoints(config):
        held = [h for h in conflicts(wanted, facts.listeners) if not (ours_ok and h.ours)]
        where = f"{wanted.proto} {wanted.address}:{wanted.port} ({wanted.key})"
        if held:
            yield Finding(
                FAIL,
                f"Port dipakai / taken: {where} by {held[0].who()}",
                port_fix(wanted, held[0]),
                wanted.key,
            )
        else:
            yield Finding(OK, f"Port siap / ready: {where}")


def check_upstreams(facts: MachineFacts) -> Iterator[Finding]:
    """At least one upstream answers; each silent one is named."""
    answering = [u for u, error in facts.upstreams.items() if error is None]
    for upstream, error in facts.upstreams.items():
        if error is not None:
            status = WARN if answering else FAIL
            yield Finding(
                status,
                f"DNS hulu / upstream {upstream}: {error}",
                "check the uplink, or change dns.upstreams",
            )
    if answering:
        yield Finding(OK, f"DNS hulu menjawab / upstream answers: {', '.join(answering)}")


def check_lists(facts: MachineFacts) -> Iterator[Finding]:
    """A snapshot is in force, and recent."""
    fix = "hotspot-gateway blocklist update --config F"
    if facts.snapshot_error is not None:
        yield Finding(
            FAIL,
            f"Daftar blokir rusak / snapshot unreadable: {facts.snapshot_error}",
            f"hotspot-gateway blocklist rollback, or {fix}",
        )
    elif facts.snapshot_created is None:
        yield Finding(FAIL, "Belum ada daftar blokir / no blocklist snapshot yet", fix)
    else:
        age = facts.now - facts.snapshot_created
        title = (
            f"Daftar blokir / blocklists: {facts.snapshot_names:,} nama / names, "
            f"{age / 3600:.0f} jam / h old"
        )
        if age > STALE_LISTS:
            yield Finding(
                WARN,
                title,
                f"{fix}; check the timer: systemctl status hotspot-gateway-update.timer",
            )
        else:
            yield Finding(OK, title)


def check_machine(facts: MachineFacts, running: bool) -> Iterator[Finding]:
    """nft, forwarding, disk space and the clock."""
    if facts.nft is None:
        yield Finding(FAIL, "nft tidak ada / nft is missing", "apt-get install nftables")
    else:
        yield Finding(OK, f"nft ada / present: {facts.nft}")
    if facts.forwarding is False:
        status = FAIL if running else WARN
        yield Finding(
            status,
            "Penerusan IPv4 mati / IPv4 forwarding is off",
            "hotspot-gateway run turns it on; by hand: sysctl -w net.ipv4.ip_forward=1",
        )
    elif facts.forwarding:
        yield Finding(OK, "Penerusan IPv4 hidup / IPv4 forwarding is on")
    if facts.disk_free is not None:
        free = f"{facts.disk_free / (1 << 30):.1f} GiB"
        if facts.disk_free < NO_DISK:
            yield Finding(
                FAIL,
                f"Disk hampir penuh / disk almost full: {free} free",
                "free space under blocklists.state_dir (old logs, journal)",
            )
        elif facts.disk_free < LOW_DISK:
            yield Finding(
                WARN,
                f"Disk sempit / low disk: {free} free",
                "free space: a list update needs room for a second snapshot",
            )
        else:
            yield Finding(OK, f"Disk cukup / enough disk: {free} free")
    yield from check_clock(facts)


def check_clock(facts: MachineFacts) -> Iterator[Finding]:
    """The clock is after this release and, if systemd can tell, synchronised."""
    stamp = datetime.fromtimestamp(facts.now, UTC).strftime("%Y-%m-%d %H:%M UTC")
    if facts.now < SANE_CLOCK_FROM:
        yield Finding(
            FAIL,
            f"Jam salah / the clock is wrong: {stamp}",
            "set it (timedatectl set-ntp true): TLS and timeouts depend on it",
        )
    elif facts.ntp_synchronized is False:
        yield Finding(
            WARN,
            f"Jam belum sinkron / clock not synchronised: {stamp}",
            "timedatectl set-ntp true, and allow NTP (UDP 123) on the uplink",
        )
    else:
        yield Finding(OK, f"Jam / clock: {stamp}")


def check_service(facts: MachineFacts) -> Iterator[Finding]:
    """The gateway runs: by systemd's word, or by its listeners where there is no systemd."""
    if facts.service is not None:
        if facts.service == "active":
            yield Finding(OK, "Layanan berjalan / the service is running")
        else:
            yield Finding(
                FAIL,
                f"Layanan tidak berjalan / the service is {facts.service}",
                "systemctl start hotspot-gateway; journalctl -u hotspot-gateway -n 50",
            )
    elif any(held.ours for held in facts.listeners or []):
        yield Finding(OK, "hotspot-gateway berjalan / is running")
    else:
        yield Finding(
            FAIL,
            "hotspot-gateway tidak berjalan / is not running",
            "hotspot-gateway run --config F (systemd: systemctl start hotspot-gateway)",
        )


def check_console(facts: MachineFacts) -> Iterator[Finding]:
    """Someone can log in to the console (it has no default account)."""
    if facts.console_accounts == 0:
        yield Finding(
            WARN,
            "Belum ada akun konsol / no console account yet",
            "hotspot-gateway admin add-user NAME --role staff (or operator)",
        )
    elif facts.console_accounts is not None:
        yield Finding(OK, f"Akun konsol / console accounts: {facts.console_accounts}")


def is_running(facts: MachineFacts) -> bool:
    """Whether the gateway seems to run now."""
    return facts.service == "active" or any(h.ours for h in facts.listeners or [])


def diagnose(config: GatewayConfig, facts: MachineFacts) -> list[Finding]:
    """The whole checklist, in the order an installer would fix things."""
    running = is_running(facts)
    return [
        *check_interfaces(config, facts, running),
        *check_machine(facts, running),
        *check_ports(config, facts, ours_ok=True),
        *check_upstreams(facts),
        *check_lists(facts),
        *check_service(facts),
        *check_console(facts),
    ]


def start_problems(config: GatewayConfig, facts: MachineFacts) -> list[Finding]:
    """What stops `run` from starting: missing interfaces and taken ports, even by ourselves."""
    found = []
    if config.firewall.enabled and facts.addresses is not None:
        found += [f for f in check_interfaces(config, facts) if f.status == FAIL and f.key]
    found += [f for f in check_ports(config, facts, ours_ok=False) if f.status == FAIL and f.key]
    return found
