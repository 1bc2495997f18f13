"""Console accounts: names, roles and password hashes, in one file under the state directory.

There is no default account: the first is made on the gateway itself with
`hotspot-gateway admin add-user NAME --role staff|operator`. Passwords are kept only as scrypt
hashes (werkzeug's), and a check against an unknown name costs the same as against a known one,
so timing does not tell which names exist.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import asdict, dataclass
from pathlib import Path

from werkzeug.security import check_password_hash, generate_password_hash

from filters.atomic import atomic_write_bytes
from filters.staff import utc_now

USERS_FILE = "admin-users.json"
ROLES = ("staff", "operator")  # staff: blocklists; operator: sessions and status
MIN_PASSWORD = 10
_NAME = re.compile(r"[a-z0-9][a-z0-9._-]{1,31}")
# Checked when the name is unknown, so both paths hash once.
_DUMMY_HASH = generate_password_hash("not a password of anyone", method="scrypt")


class UserError(ValueError):
    """A name, role or password that cannot be used; the message says which and why."""


@dataclass(frozen=True)
class AdminUser:
    """One console account."""

    name: str
    role: str
    password_hash: str
    created: str


def check_name(name: str) -> str:
    """The name as stored; UserError if it is not 2-32 of a-z, 0-9, '.', '_', '-'."""
    if not _NAME.fullmatch(name):
        raise UserError(f"user name {name!r}: 2-32 characters of a-z, 0-9, '.', '_' or '-'")
    return name


def check_role(role: str) -> str:
    """The role; UserError unless staff or operator."""
    if role not in ROLES:
        raise UserError(f"role {role!r}: must be one of {', '.join(ROLES)}")
    return role


class UserStore:
    """Reads and writes the accounts file (owner-only, replaced atomically)."""

    def __init__(self, state_dir: Path) -> None:
        self.path = state_dir / USERS_FILE

    def users(self) -> dict[str, AdminUser]:
        """Every account, by name."""
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except ValueError as exc:
            raise UserError(f"{self.path}: damaged ({exc})") from None
        return {u["name"]: AdminUser(**u) for u in raw.get("users", [])}

    def add(self, name: str, role: str, password: str, *, replace: bool = False) -> AdminUser:
        """Make an account (or, with `replace`, give an existing one a new role and password)."""
        check_name(name)
        check_role(role)
        if len(password) < MIN_PASSWORD:
            raise UserError(f"password: at least {MIN_PASSWORD} characters")
        users = self.users()
        if name in users and not replace:
            raise UserError(f"user {name!r} exists (use --replace to set a new password)")
        user = AdminUser(name, role, generate_password_hash(password, method="scrypt"), utc_now())
        users[name] = user
        self._save(users)
        return user

    def verify(self, name: str, password: str) -> AdminUser | None:
        """The account if the password is right, else None."""
        user = self.users().get(name)
        if user is None:
            check_password_hash(_DUMMY_HASH, password)
            return None
        return user if check_password_hash(user.password_hash, password) else None

    def _save(self, users: dict[str, AdminUser]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        data = {"users": [asdict(u) for u in sorted(users.values(), key=lambda u: u.name)]}
        old = os.umask(0o077)  # hashes are secrets too: never readable by others
        try:
            atomic_write_bytes(self.path, json.dumps(data, indent=1).encode())
        finally:
            os.umask(old)
