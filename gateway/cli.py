"""The `hotspot-gateway` command line: the only place that reads argv and the environment.

Exit codes (contract): 0 done, 2 bad usage or bad input (one line on stderr), 1 failure.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from gateway import __version__
from gateway.admin_cli import add_admin_commands
from gateway.blocklist_cli import add_blocklist_commands
from gateway.config import DEFAULT_CONFIG_PATH
from gateway.config_values import ConfigError
from gateway.demo_cli import add_demo_command
from gateway.doctor_cli import add_doctor_command
from gateway.errors import CommandFailed, UsageError
from gateway.run_cli import add_run_command, release_from_firewall
from gateway.sessions_cli import add_sessions_commands

EXIT_OK, EXIT_FAILURE, EXIT_USAGE = 0, 1, 2


class OneLineParser(argparse.ArgumentParser):
    """argparse that reports bad usage as one line on stderr and exits 2."""

    def error(self, message: str) -> NoReturn:
        """Print `prog: error: message (see --help)` and exit with the usage code."""
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see --help)\n")


def build_parser() -> argparse.ArgumentParser:
    """The whole command tree."""
    parser = OneLineParser(
        prog="hotspot-gateway",
        description="Gateway for a city's free public Wi-Fi hotspot.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=OneLineParser)
    add_run_command(commands, config_option)
    add_blocklist_commands(commands, config_option)
    add_sessions_commands(commands, config_option, release_from_firewall)
    add_demo_command(commands)
    add_doctor_command(commands, config_option)
    add_admin_commands(commands, config_option)
    return parser


def config_option(parser: argparse.ArgumentParser) -> None:
    """Add the common --config and --user options to a subcommand."""
    parser.add_argument(
        "--config",
        type=Path,
        default=DEFAULT_CONFIG_PATH,
        help=f"gateway config file (default {DEFAULT_CONFIG_PATH})",
    )
    parser.add_argument(
        "--user",
        default=None,
        help="who is making the change, for the audit log (default: the login user)",
    )


def _operator_name() -> str:
    """The person behind a change: the sudo caller if any, else the login user."""
    return os.environ.get("SUDO_USER") or os.environ.get("USER") or getpass.getuser()


def cli_logic(argv: Sequence[str]) -> int:
    """Run one command; returns the exit code instead of exiting, for tests."""
    parser = build_parser()
    try:
        args = parser.parse_args(list(argv))
    except SystemExit as exc:  # --help, --version and usage errors
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    if getattr(args, "user", "unset") is None:
        args.user = _operator_name()
    try:
        code: int = args.handler(args)
        return code
    except (UsageError, ConfigError) as exc:
        print(f"hotspot-gateway: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except CommandFailed as exc:
        print(f"hotspot-gateway: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    except KeyboardInterrupt:
        print("hotspot-gateway: interrupted", file=sys.stderr)
        return EXIT_FAILURE


def main() -> None:
    """Console-script entry point."""
    sys.exit(cli_logic(sys.argv[1:]))
