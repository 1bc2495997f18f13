"""deploy/install.sh for real into a staging root, inside a namespace with the two ports.

It installs from the wheels `make test` built (no PyPI during the test). Checked: the files
land where they should, systemd accepts the units, the config it writes loads, a second run
keeps staff's edits, bad input stops it before it changes anything, --uninstall leaves the
config and lists unless --purge.
"""

from __future__ import annotations

import secrets
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from gateway.config import load_config
from gateway.demo.netns import REPO, ip, wait_for

pytestmark = [
    pytest.mark.skipif(shutil.which("ip") is None, reason="needs iproute2"),
    pytest.mark.skipif(
        not (REPO / ".wheelhouse" / ".built").exists(),
        reason="make test builds .wheelhouse for the offline install",
    ),
    pytest.mark.timeout(600),
]
INSTALL = REPO / "deploy" / "install.sh"
UNITS = (
    "hotspot-gateway.service",
    "hotspot-gateway-update.service",
    "hotspot-gateway-update.timer",
)


@pytest.fixture(scope="module")
def machine() -> Iterator[str]:
    """A namespace with a LAN port (no address yet) and an uplink, as a fresh mini-PC has."""
    name = f"hg-inst-{secrets.token_hex(3)}"
    cables = f"{name}-far"  # where the other ends of the two ports' cables are
    ip("netns", "add", name)
    ip("netns", "add", cables)
    try:
        for port in ("lan0", "wan0"):
            ip("-n", name, "link", "add", port, "type", "veth", "peer", "name", port,
               "netns", cables)  # fmt: skip
            ip("-n", name, "link", "set", port, "up")
        ip("-n", name, "addr", "add", "192.0.2.50/24", "dev", "wan0")
        ip("-n", name, "route", "add", "default", "via", "192.0.2.1", "dev", "wan0")
        yield name
    finally:
        ip("netns", "del", name)
        ip("netns", "del", cables)


def install(machine: str, root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """install.sh into `root`, run inside the namespace."""
    argv = ["ip", "netns", "exec", machine, "bash", str(INSTALL), "--root", str(root),
            "--wheels", str(REPO / ".wheelhouse"), *args]  # fmt: skip
    return subprocess.run(argv, capture_output=True, text=True, timeout=500)


@pytest.fixture(scope="module")
def installed(machine: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("root")
    done = install(machine, root, "--lan", "lan0", "--wan", "wan0", "--yes")
    assert done.returncode == 0, done.stdout + done.stderr
    return root


def test_files_land_where_they_should_and_the_config_loads(installed: Path) -> None:
    config = load_config(installed / "etc/hotspot-gateway/gateway.toml")
    assert (config.network.lan_interface, config.network.wan_interface) == ("lan0", "wan0")
    assert config.network.lan_address == "10.77.0.1"
    assert str(config.blocklists.state_dir) == "/var/lib/hotspot-gateway"
    for unit in UNITS:
        assert (installed / "etc/systemd/system" / unit).is_file()
    dhcp = (installed / "etc/dnsmasq.d/hotspot-gateway.conf").read_text()
    assert "port=0" in dhcp and "interface=lan0" in dhcp
    program = installed / "opt/hotspot-gateway/venv/bin/hotspot-gateway"
    done = subprocess.run([str(program), "--version"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and done.stdout.startswith("hotspot-gateway ")
    assert (installed / "opt/hotspot-gateway/README.md").is_file()
    # The pages and shipped lists the program reads beside its code came along.
    python = installed / "opt/hotspot-gateway/venv/bin/python"
    code = (
        "from gateway.portal.app import PAGES_DIR; from filters.sources import DEFAULTS_DIR; "
        "print(PAGES_DIR / 'templates/splash.html'); print(DEFAULTS_DIR / 'sources.toml')"
    )
    found = subprocess.run([str(python), "-c", code], capture_output=True, text=True, timeout=60,
                           cwd="/")  # fmt: skip
    for line in found.stdout.split():
        assert line.startswith(str(installed / "opt/hotspot-gateway/src/")) and Path(line).is_file()
    assert len(found.stdout.split()) == 2, found.stderr
    assert (installed / "var/lib/hotspot-gateway").is_dir()


def verify_root(installed: Path, into: Path) -> Path:
    """A root systemd-analyze can check the units in: this machine's own units and kill, and
    the installed units and program (the staging root has no system of its own)."""
    (into / "usr/lib/systemd").mkdir(parents=True)
    shutil.copytree("/usr/lib/systemd/system", into / "usr/lib/systemd/system", symlinks=True)
    (into / "usr/bin").mkdir()
    shutil.copy2(shutil.which("kill") or "/usr/bin/kill", into / "usr/bin/kill")
    (into / "bin").symlink_to("usr/bin")
    shutil.copytree(installed / "etc/systemd/system", into / "etc/systemd/system")
    program = "opt/hotspot-gateway/venv/bin/hotspot-gateway"
    (into / program).parent.mkdir(parents=True)
    shutil.copy2(installed / program, into / program)
    return into


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="needs systemd-analyze")
def test_systemd_accepts_the_units(installed: Path, tmp_path: Path) -> None:
    root = verify_root(installed, tmp_path / "verify")
    units = [f"/etc/systemd/system/{unit}" for unit in UNITS]
    done = subprocess.run(["systemd-analyze", "verify", f"--root={root}", "--man=no", *units],
                          capture_output=True, text=True, timeout=120)  # fmt: skip
    assert done.returncode == 0 and done.stderr == "", done.stderr
    # The check has teeth: a unit whose program is not where the installer put it fails.
    (root / "opt/hotspot-gateway/venv/bin/hotspot-gateway").unlink()
    broken = subprocess.run(["systemd-analyze", "verify", f"--root={root}", "--man=no", units[0]],
                            capture_output=True, text=True, timeout=120)  # fmt: skip
    assert broken.returncode != 0 and "is not executable" in broken.stderr
    service = (installed / "etc/systemd/system/hotspot-gateway.service").read_text()
    hardening = [
        "Restart=always",
        "NoNewPrivileges=yes",
        "ProtectSystem=strict",
        "ReadWritePaths=/var/lib/hotspot-gateway",
        "CapabilityBoundingSet=CAP_NET_ADMIN CAP_NET_BIND_SERVICE CAP_NET_RAW",
    ]
    for line in hardening:
        assert line in service
    timer = (installed / "etc/systemd/system/hotspot-gateway-update.timer").read_text()
    assert "RandomizedDelaySec=" in timer and "Persistent=true" in timer


def test_a_second_run_keeps_what_staff_changed(machine: str, installed: Path) -> None:
    path = installed / "etc/hotspot-gateway/gateway.toml"
    path.write_text(path.read_text().replace("max_clients = 100", "max_clients = 42"))
    done = install(machine, installed, "--lan", "lan0", "--wan", "wan0", "--yes")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "keeping the existing /etc/hotspot-gateway/gateway.toml" in done.stdout
    assert load_config(path).portal.max_clients == 42


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--lan", "eth9", "--wan", "wan0"), "network.lan_interface: no interface 'eth9'"),
        (("--lan", "lan0", "--wan", "lan0"), "are both 'lan0'"),
        (("--lan", "lan0", "--wan", "wan0", "--lan-address", "10.99.0.1"),
         "network.lan_address: 10.99.0.1 is outside network.client_subnet 10.77.0.0/24"),
        (("--lan", "lan0", "--wan", "wan0", "--subnet", "10.77.0.0/33"), "must be /8 to /30"),
        (("--lan", "lan0", "--wan", "wan0", "--frobnicate"), "unknown option --frobnicate"),
        (("--purge",), "--purge goes with --uninstall"),
    ],
)  # fmt: skip
def test_bad_input_names_the_key_and_changes_nothing(
    machine: str, tmp_path: Path, args: tuple[str, ...], message: str
) -> None:
    done = install(machine, tmp_path / "root", *args, "--yes")
    assert done.returncode == 2, done.stdout + done.stderr
    assert message in done.stderr and done.stderr.count("\n") == 1, done.stderr
    assert not (tmp_path / "root").exists()


def test_the_ports_are_found_by_the_default_route_and_confirmed(
    machine: str, tmp_path: Path
) -> None:
    unasked = install(machine, tmp_path / "root")  # no terminal to ask on, and no --yes
    assert unasked.returncode == 2
    assert "pass --yes to accept LAN=lan0 WAN=wan0, or --lan/--wan" in unasked.stderr
    assert not (tmp_path / "root").exists()
    done = install(machine, tmp_path / "root", "--yes")
    assert done.returncode == 0, done.stdout + done.stderr
    config = load_config(tmp_path / "root/etc/hotspot-gateway/gateway.toml")
    assert (config.network.lan_interface, config.network.wan_interface) == ("lan0", "wan0")


def test_a_taken_port_stops_it_before_the_config_and_units(machine: str, installed: Path) -> None:
    config = installed / "etc/hotspot-gateway/gateway.toml"
    kept = config.read_text()
    config.unlink()  # as on a machine where it never ran: a new config would be written
    units = {u: (installed / "etc/systemd/system" / u).stat().st_mtime_ns for u in UNITS}
    code = "import socket, time; s = socket.create_server(('0.0.0.0', 80)); time.sleep(300)"
    squatter = subprocess.Popen(["ip", "netns", "exec", machine, sys.executable, "-c", code])
    try:
        listening = ["ip", "netns", "exec", machine, "ss", "-Hltn"]
        wait_for(lambda: "0.0.0.0:80 " in subprocess.run(listening, capture_output=True,
                 text=True, timeout=30).stdout, "the other web server", limit=20)  # fmt: skip
        done = install(machine, installed, "--lan", "lan0", "--wan", "wan0", "--yes")
    finally:
        squatter.kill()
        squatter.wait()
    assert done.returncode == 2, done.stdout + done.stderr
    assert "portal.listen" in done.stderr and "tcp 10.77.0.1:80" in done.stderr
    assert "nothing was changed" in done.stderr
    assert not config.exists() and not list(config.parent.glob(".gateway.toml.*"))
    assert units == {u: (installed / "etc/systemd/system" / u).stat().st_mtime_ns for u in UNITS}
    config.write_text(kept)


def test_uninstall_keeps_config_and_lists_and_purge_removes_them(
    machine: str, installed: Path
) -> None:
    (installed / "var/lib/hotspot-gateway/audit.log").write_text("staff edits\n")
    done = install(machine, installed, "--uninstall")
    assert done.returncode == 0, done.stdout + done.stderr
    for gone in ("opt/hotspot-gateway", "etc/dnsmasq.d/hotspot-gateway.conf",
                 *(f"etc/systemd/system/{u}" for u in UNITS)):  # fmt: skip
        assert not (installed / gone).exists(), gone
    assert (installed / "etc/hotspot-gateway/gateway.toml").exists()
    assert (installed / "var/lib/hotspot-gateway/audit.log").read_text() == "staff edits\n"
    done = install(machine, installed, "--uninstall", "--purge")
    assert done.returncode == 0, done.stdout + done.stderr
    assert not (installed / "etc/hotspot-gateway").exists()
    assert not (installed / "var/lib/hotspot-gateway").exists()


@pytest.mark.skipif(shutil.which("shellcheck") is None, reason="needs shellcheck")
def test_the_installer_is_shellcheck_clean() -> None:
    done = subprocess.run(["shellcheck", str(INSTALL)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout
