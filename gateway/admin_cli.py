"""`hotspot-gateway admin add-user NAME --role staff|operator`: console accounts.

Made on the gateway itself: there is no default account.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Callable
from typing import Any

from gateway.admin.users import ROLES, UserError, UserStore
from gateway.config import load_config
from gateway.errors import UsageError

AddOptions = Callable[[argparse.ArgumentParser], None]


def add_admin_commands(commands: Any, add_common: AddOptions) -> None:
    """Register `admin add-user`."""
    admin = commands.add_parser("admin", help="staff console accounts")
    sub = admin.add_subparsers(dest="action", required=True, parser_class=type(admin))
    add = sub.add_parser(
        "add-user",
        help="make a console account (asks for its password)",
        description="Make a console account; the password is asked twice.",
    )
    add_common(add)
    add.add_argument("name")
    add.add_argument(
        "--role",
        required=True,
        choices=ROLES,
        help="staff: blocklists; operator: sessions and status",
    )
    add.add_argument(
        "--replace", action="store_true", help="give an existing account a new role and password"
    )
    add.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the password from standard input (for automation)",
    )
    add.set_defaults(handler=cmd_add_user)


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("Kata sandi / password: ")
    if getpass.getpass("Sekali lagi / again: ") != first:
        raise UsageError("the two passwords differ")
    return first


def cmd_add_user(args: argparse.Namespace) -> int:
    """Make (or replace) one account."""
    config = load_config(args.config)
    try:
        user = UserStore(config.blocklists.state_dir).add(
            args.name, args.role, _password(args.password_stdin), replace=args.replace
        )
    except UserError as exc:
        raise UsageError(str(exc)) from None
    print(f"akun dibuat / account made: {user.name} ({user.role})")
    return 0
