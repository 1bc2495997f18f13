"""The console's security and pages, through flask's test client with the real app."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from filters.engine import BlocklistEngine
from filters.staff import AuditLog
from filters.store import SnapshotStore
from gateway.admin.console import create_console
from gateway.admin.users import UserStore
from gateway.config import BlocklistsConfig, GatewayConfig, PortalConfig
from gateway.sessions.store import SessionStore, sessions_path
from tests.filters.builders import publish_lists, spec

PASSWORD = "kata-sandi-panjang"
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


class Clock:
    """A clock the test moves."""

    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def config(tmp_path: Path) -> GatewayConfig:
    state = tmp_path / "state"
    publish_lists(state, [(spec("judi", "gambling"), "judi.test\n")])
    UserStore(state).add("ani", "staff", PASSWORD)
    UserStore(state).add("budi", "operator", PASSWORD)
    return GatewayConfig(blocklists=BlocklistsConfig(state_dir=state),
                         portal=PortalConfig(max_clients=3))  # fmt: skip


@pytest.fixture
def kicked() -> list[str]:
    return []


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def app(config: GatewayConfig, kicked: list[str], clock: Clock) -> Flask:
    def kick(ip: str) -> bool:
        kicked.append(ip)
        return True

    return create_console(config, kick, clock)


def token(client: FlaskClient, page: str = "/login") -> str:
    match = TOKEN.search(client.get(page).get_data(as_text=True))
    assert match is not None, page
    return match.group(1)


def log_in(client: FlaskClient, name: str, password: str = PASSWORD) -> int:
    form = {"name": name, "password": password, "csrf_token": token(client)}
    return client.post("/login", data=form).status_code


def test_pages_need_a_login_and_the_cookie_is_guarded(app: Flask) -> None:
    client = app.test_client()
    for page in ("/", "/blocklists", "/sessions", "/audit"):
        response = client.get(page)
        assert response.status_code == 302 and response.location.endswith("/login")
    assert log_in(client, "ani") == 302
    login = app.test_client()
    response = login.post("/login", data={"name": "ani", "password": PASSWORD,
                                          "csrf_token": token(login)})  # fmt: skip
    cookie = response.headers.get("Set-Cookie") or ""
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
    assert "script-src" not in response.headers["Content-Security-Policy"]
    assert "default-src 'none'" in response.headers["Content-Security-Policy"]
    page = client.get("/").get_data(as_text=True)
    assert "1 / 3" not in page and "0 / 3" in page


def test_a_wrong_password_fails_and_repeated_failures_are_slowed(app: Flask, clock: Clock) -> None:
    client = app.test_client()
    assert log_in(client, "ani", "salah-salah-salah") == 401
    for _ in range(5):
        log_in(client, "ani", "salah-salah-salah")
    assert log_in(client, "ani") == 429  # even the right password waits now
    clock.now += 1000
    assert log_in(client, "ani") == 302
    assert log_in(app.test_client(), "nobody", PASSWORD) == 401


def test_a_form_without_its_csrf_token_gets_400(app: Flask) -> None:
    client = app.test_client()
    assert client.post("/login", data={"name": "ani", "password": PASSWORD}).status_code == 400
    assert log_in(client, "ani") == 302
    form = {"action": "add", "name": "slot.test", "category": "gambling", "reason": "laporan"}
    assert client.post("/blocklists/edit", data=form).status_code == 400
    assert client.post("/blocklists/edit", data={**form, "csrf_token": "forged"}).status_code == 400


def test_staff_check_and_block_a_name_and_it_is_audited(app: Flask, config: GatewayConfig) -> None:
    client = app.test_client()
    assert log_in(client, "ani") == 302
    page = client.get("/blocklists?check=www.judi.test").get_data(as_text=True)
    assert "DIBLOKIR / BLOCKED" in page and "gambling" in page and "judi" in page
    form = {"action": "add", "name": "slot-gacor.test", "category": "gambling",
            "reason": "laporan warga", "csrf_token": token(client, "/blocklists")}  # fmt: skip
    response = client.post("/blocklists/edit", data=form)
    assert response.status_code == 302
    assert BlocklistEngine(config.blocklists.state_dir).lookup("m.slot-gacor.test").blocked
    events = AuditLog(SnapshotStore(config.blocklists.state_dir).audit_path).events()
    assert (events[-1].user, events[-1].action, events[-1].reason) == (
        "ani",
        "add",
        "laporan warga",
    )
    missing = {**form, "reason": "", "csrf_token": token(client, "/blocklists")}
    assert client.post("/blocklists/edit", data=missing).status_code == 400


def test_markup_in_a_reason_is_shown_as_text_everywhere(app: Flask) -> None:
    client = app.test_client()
    assert log_in(client, "ani") == 302
    reason = '<script>alert("x")</script>'
    form = {"action": "add", "name": "slot.test", "category": "gambling", "reason": reason,
            "csrf_token": token(client, "/blocklists")}  # fmt: skip
    assert client.post("/blocklists/edit", data=form).status_code == 302
    for page in ("/audit", "/blocklists"):
        text = client.get(page).get_data(as_text=True)
        assert "<script>" not in text and "&lt;script&gt;" in text, page


def test_roles_staff_cannot_kick_and_operators_cannot_change_lists(
    app: Flask, config: GatewayConfig, kicked: list[str]
) -> None:
    with SessionStore(sessions_path(config)) as store:
        store.admit("10.77.0.10", None, 1_800_000_000.0, 3, 3600)
    staff = app.test_client()
    assert log_in(staff, "ani") == 302
    kick = {"ip": "10.77.0.10", "reason": "test", "csrf_token": token(staff, "/sessions")}
    assert staff.post("/sessions/kick", data=kick).status_code == 403
    operator = app.test_client()
    assert log_in(operator, "budi") == 302
    edit = {"action": "add", "name": "x.test", "category": "porn", "reason": "r",
            "csrf_token": token(operator, "/blocklists")}  # fmt: skip
    assert operator.post("/blocklists/edit", data=edit).status_code == 403
    assert "Ubah / Change" not in operator.get("/blocklists").get_data(as_text=True)
    kick["csrf_token"] = token(operator, "/sessions")
    assert operator.post("/sessions/kick", data=kick).status_code == 302
    assert kicked == ["10.77.0.10"]
    events = AuditLog(SnapshotStore(config.blocklists.state_dir).audit_path).events()
    assert (events[-1].user, events[-1].action, events[-1].name) == ("budi", "kick", "10.77.0.10")


def test_metrics_are_served_without_a_login(app: Flask) -> None:
    response = app.test_client().get("/metrics")
    assert response.status_code == 200
    assert "hotspot_phones_max 3.0" in response.get_data(as_text=True)


def test_with_https_the_session_cookie_is_secure(config: GatewayConfig) -> None:
    client = create_console(config, secure_cookies=True).test_client()
    form = {"name": "ani", "password": PASSWORD, "csrf_token": token(client)}
    cookie = client.post("/login", data=form).headers.get("Set-Cookie") or ""
    assert "Secure" in cookie and "HttpOnly" in cookie
