"""`sessions list` and `sessions kick` through the real cli_logic, on a real session database."""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path

import pytest

import gateway.cli
from gateway.cli import OneLineParser, cli_logic, config_option
from gateway.config import GatewayConfig, load_config
from gateway.sessions.store import SessionStore, sessions_path
from gateway.sessions_cli import FirewallRelease, add_sessions_commands
from tests.conftest import REPO

HOUR = 3600.0
Run = Callable[..., tuple[int, str, str]]


def write_config(tmp_path: Path, firewall: bool) -> Path:
    path = tmp_path / "gateway.toml"
    path.write_text(
        f'[blocklists]\nstate_dir = "{tmp_path / "state"}"\n'
        f"[firewall]\nenabled = {str(firewall).lower()}\n[portal]\nmax_clients = 50\n"
    )
    return path


def use_parser(monkeypatch: pytest.MonkeyPatch, release: FirewallRelease | None) -> None:
    """cli_logic with the sessions commands registered, as gateway/cli.py will register them."""

    def build_parser() -> argparse.ArgumentParser:
        parser = OneLineParser(prog="hotspot-gateway")
        commands = parser.add_subparsers(dest="command", required=True, parser_class=OneLineParser)
        add_sessions_commands(commands, config_option, release_from_firewall=release)
        return parser

    monkeypatch.setattr(gateway.cli, "build_parser", build_parser)


@pytest.fixture
def released(monkeypatch: pytest.MonkeyPatch) -> list[tuple[GatewayConfig, str]]:
    calls: list[tuple[GatewayConfig, str]] = []
    use_parser(monkeypatch, lambda config, ip: calls.append((config, ip)))
    return calls


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str]) -> Run:
    def run_cli(*argv: str) -> tuple[int, str, str]:
        code = cli_logic(list(argv))
        out, err = capsys.readouterr()
        return code, out, err

    return run_cli


def admit(config: Path, *phones: tuple[str, str | None]) -> float:
    now = time.time()
    with SessionStore(sessions_path(load_config(config))) as store:
        for ip, mac in phones:
            store.admit(ip, mac, now - 600, 50, HOUR)
        store.touch(phones[0][0], 2_500_000, now - 120)
    return now


def test_list_shows_a_table_with_the_random_mac_marked(
    tmp_path: Path, released: list[tuple[GatewayConfig, str]], run: Run
) -> None:
    config = write_config(tmp_path, firewall=True)
    assert run("sessions", "list", "--config", str(config))[1] == (
        "tidak ada sesi / no sessions\n0 online dari / of 50\n"
    )
    admit(config, ("10.77.0.10", "da:a1:19:00:00:01"), ("10.77.0.11", "3c:22:fb:0a:0b:0c"),
          ("10.77.0.12", None))  # fmt: skip
    code, out, err = run("sessions", "list", "--config", str(config))
    assert (code, err) == (0, "")
    header, first, second, third, footer = out.splitlines()
    assert header.split("  ")[0] == "IP" and "ONLINE SEJAK / SINCE" in header
    assert "SISA / LEFT" in header and "DIAM / IDLE" in header
    assert first.split()[:3] == ["10.77.0.10", "da:a1:19:00:00:01", "(acak/random)"]
    assert first.split()[-2:] == ["2.5", "MB"] and " 0:02:0" in first
    assert re.search(r" 0:(50:00|49:5\d) ", first)  # an hour, 10 minutes ago (and a moment)
    assert second.split()[:2] == ["10.77.0.11", "3c:22:fb:0a:0b:0c"]
    assert "acak" not in second and third.split()[:2] == ["10.77.0.12", "-"]
    assert footer == "3 online dari / of 50"


def test_list_json_has_every_field(
    tmp_path: Path, released: list[tuple[GatewayConfig, str]], run: Run
) -> None:
    config = write_config(tmp_path, firewall=True)
    admit(config, ("10.77.0.10", "da:a1:19:00:00:01"))
    code, out, _ = run("sessions", "list", "--json", "--config", str(config))
    data = json.loads(out)
    assert code == 0 and (data["online"], data["max_clients"]) == (1, 50)
    (session,) = data["sessions"]
    assert session["ip"] == "10.77.0.10" and session["randomised_mac"] is True
    assert session["bytes"] == 2_500_000 and 110 <= session["idle_seconds"] <= 130
    assert 2990 <= session["remaining_seconds"] <= 3010
    assert session["started"].endswith("+00:00")


def test_kick_ends_the_session_in_store_then_firewall(
    tmp_path: Path, released: list[tuple[GatewayConfig, str]], run: Run
) -> None:
    config = write_config(tmp_path, firewall=True)
    admit(config, ("10.77.0.10", None), ("10.77.0.11", None))
    code, out, err = run("sessions", "kick", " 10.77.0.10 ", "--config", str(config))
    assert (code, err) == (0, "")
    assert out.startswith("sesi diakhiri / session ended: 10.77.0.10 (MAC -, online 0:10:0")
    assert [ip for _, ip in released] == ["10.77.0.10"]
    assert released[0][0].blocklists.state_dir == tmp_path / "state"
    with SessionStore(sessions_path(load_config(config))) as store:
        assert [s.ip for s in store.sessions()] == ["10.77.0.11"]


@pytest.mark.parametrize(
    ("argv", "code", "message"),
    [
        (["kick", "x"], 2, "hotspot-gateway: sessions kick: not an IP address: 'x'"),
        (["kick", "10.77.0.300"], 2, "not an IP address: '10.77.0.300'"),
        (["kick", "fe80::1"], 2, "not an IP address: 'fe80::1'"),
        (["kick", "10.77.0.99"], 1, "hotspot-gateway: sessions kick: no session for 10.77.0.99"),
        (["kick"], 2, "the following arguments are required: ip"),
        (["frobnicate"], 2, "invalid choice: 'frobnicate'"),
    ],
)
def test_bad_input_and_unknown_ips_get_one_line(
    tmp_path: Path,
    released: list[tuple[GatewayConfig, str]],
    run: Run,
    argv: list[str],
    code: int,
    message: str,
) -> None:
    config = write_config(tmp_path, firewall=True)
    got, out, err = run("sessions", *argv, "--config", str(config))
    assert (got, out) == (code, "")
    assert message in err and err.count("\n") == 1
    assert released == []


def test_kick_without_a_firewall_only_touches_the_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, run: Run
) -> None:
    use_parser(monkeypatch, release=None)
    config = write_config(tmp_path, firewall=False)
    admit(config, ("10.77.0.10", None))
    assert run("sessions", "kick", "10.77.0.10", "--config", str(config))[0] == 0
    assert run("sessions", "list", "--json", "--config", str(config))[1].startswith('{"online": 0')


def test_kick_refuses_to_half_kick_when_the_firewall_cannot_be_reached(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, run: Run
) -> None:
    use_parser(monkeypatch, release=None)
    config = write_config(tmp_path, firewall=True)
    admit(config, ("10.77.0.10", None))
    code, _, err = run("sessions", "kick", "10.77.0.10", "--config", str(config))
    assert code == 1 and "no way to release an IP from the firewall" in err
    with SessionStore(sessions_path(load_config(config))) as store:
        assert store.count() == 1


def test_a_firewall_error_fails_the_kick_with_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, run: Run
) -> None:
    def broken(config: GatewayConfig, ip: str) -> None:
        raise RuntimeError("nft: Could not process rule: No such file or directory")

    use_parser(monkeypatch, release=broken)
    config = write_config(tmp_path, firewall=True)
    admit(config, ("10.77.0.10", None))
    code, _, err = run("sessions", "kick", "10.77.0.10", "--config", str(config))
    assert code == 1 and err.count("\n") == 1
    assert "10.77.0.10 left the session store, but the firewall did not release it: nft:" in err


def test_an_unreadable_state_dir_fails_with_one_line(
    tmp_path: Path, released: list[tuple[GatewayConfig, str]], run: Run
) -> None:
    (tmp_path / "state").write_text("a file where the directory should be")
    config = write_config(tmp_path, firewall=True)
    code, _, err = run("sessions", "list", "--config", str(config))
    assert code == 1 and "cannot open the session database" in err and err.count("\n") == 1


@pytest.mark.timeout(60)
def test_kick_from_another_process_while_the_store_is_in_use(tmp_path: Path) -> None:
    config = write_config(tmp_path, firewall=False)
    admit(config, ("10.77.0.10", None), ("10.77.0.11", None))
    code = textwrap.dedent(f"""
        import argparse, sys
        import gateway.cli
        from gateway.cli import OneLineParser, cli_logic, config_option
        from gateway.sessions_cli import add_sessions_commands

        def build_parser():
            parser = OneLineParser(prog="hotspot-gateway")
            commands = parser.add_subparsers(dest="command", required=True)
            add_sessions_commands(commands, config_option)
            return parser

        gateway.cli.build_parser = build_parser
        sys.exit(cli_logic(["sessions", "kick", "10.77.0.10", "--config", "{config}"]))
    """)
    # The serving side: a store open in this process, in the middle of its work.
    with SessionStore(sessions_path(load_config(config))) as store:
        assert store.count() == 2
        done = subprocess.run([sys.executable, "-W", "error", "-c", code], capture_output=True,
                              text=True, timeout=30, cwd=REPO, check=False)  # fmt: skip
        assert done.returncode == 0, done.stderr
        assert [s.ip for s in store.sessions()] == ["10.77.0.11"]
        assert store.admit("10.77.0.10", None, time.time(), 50, HOUR).result == "admitted"
