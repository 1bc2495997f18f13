"""Console accounts and the login throttle."""

from __future__ import annotations

import itertools
import stat
from pathlib import Path

import pytest

from gateway.admin.throttle import FREE_FAILURES, MAX_DELAY, LoginThrottle
from gateway.admin.users import UserError, UserStore


def test_accounts_keep_only_a_hash_owner_readable_and_check_the_password(tmp_path: Path) -> None:
    store = UserStore(tmp_path)
    assert store.users() == {}  # no default account
    store.add("ani", "staff", "kata-sandi-panjang")
    text = store.path.read_text()
    assert "kata-sandi-panjang" not in text and "scrypt:" in text
    assert stat.S_IMODE(store.path.stat().st_mode) == 0o600
    assert store.verify("ani", "kata-sandi-panjang") is not None
    assert store.verify("ani", "salah-kata-sandi") is None
    assert store.verify("budi", "kata-sandi-panjang") is None
    assert store.users()["ani"].role == "staff"


@pytest.mark.parametrize(
    ("name", "role", "password", "message"),
    [
        ("Ani Budi", "staff", "kata-sandi-panjang", "user name 'Ani Budi'"),
        ("ani", "admin", "kata-sandi-panjang", "role 'admin': must be one of staff, operator"),
        ("ani", "staff", "pendek", "password: at least 10 characters"),
    ],
)
def test_bad_accounts_are_refused_with_the_reason(
    tmp_path: Path, name: str, role: str, password: str, message: str
) -> None:
    with pytest.raises(UserError, match=message):
        UserStore(tmp_path).add(name, role, password)
    assert not (tmp_path / "admin-users.json").exists()


def test_an_existing_account_is_replaced_only_when_asked(tmp_path: Path) -> None:
    store = UserStore(tmp_path)
    store.add("ani", "staff", "kata-sandi-panjang")
    with pytest.raises(UserError, match="exists"):
        store.add("ani", "operator", "kata-sandi-baru-1")
    store.add("ani", "operator", "kata-sandi-baru-1", replace=True)
    assert store.verify("ani", "kata-sandi-baru-1") is not None
    assert store.users()["ani"].role == "operator"


def test_failed_logins_grow_the_wait_by_name_and_address_and_success_clears_it() -> None:
    throttle = LoginThrottle()
    keys = ["user:ani", "ip:10.1.1.1"]
    for n in range(FREE_FAILURES):
        assert throttle.wait(keys, 100.0 + n) == 0
        throttle.failed(keys, 100.0 + n)
    waits = []
    now = 110.0
    for _ in range(12):
        throttle.failed(keys, now)
        waits.append(throttle.wait(keys, now))
        now += 1
    assert waits[0] > 0 and all(b >= a for a, b in itertools.pairwise(waits))
    assert waits[-1] == MAX_DELAY
    assert throttle.wait(["ip:10.1.1.1"], now) > 0  # the address alone is slowed too
    assert throttle.wait(["user:budi", "ip:10.9.9.9"], now) == 0  # others are not
    throttle.succeeded(keys)
    assert throttle.wait(keys, now) == 0
