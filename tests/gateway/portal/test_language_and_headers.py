"""Indonesian first with an English switch remembered in the cookie; headers on every response."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from gateway.portal.settings import PortalSettings
from tests.gateway.portal.conftest import PHONE
from tests.gateway.portal.memory_sessions import MemorySessions
from tests.gateway.portal.phone import get, post


def test_indonesian_by_default(client: FlaskClient) -> None:
    page = get(client, "/")
    assert '<html lang="id">' in page.text
    assert ">Sambungkan</button>" in page.text
    assert 'hreflang="en" lang="en">English</a>' in page.text


def test_english_switch_is_remembered_in_the_cookie(client: FlaskClient) -> None:
    english = get(client, "/?lang=en")
    assert '<html lang="en">' in english.text
    assert ">Connect</button>" in english.text
    assert 'lang="id">Bahasa Indonesia</a>' in english.text
    assert '<html lang="en">' in get(client, "/").text  # no ?lang= now: the cookie
    assert '<html lang="id">' in get(client, "/?lang=id").text
    assert '<html lang="id">' in get(client, "/").text


def test_an_unknown_language_is_ignored(client: FlaskClient) -> None:
    assert '<html lang="id">' in get(client, "/?lang=fr").text


def test_the_default_language_comes_from_settings(
    make_app: Callable[[PortalSettings], Flask], settings: PortalSettings
) -> None:
    app = make_app(replace(settings, language="en"))
    assert '<html lang="en">' in get(app.test_client(), "/").text


def test_the_switch_link_keeps_the_page_asked_for(client: FlaskClient) -> None:
    page = get(client, "/", query_string={"dst": "http://detik.com/"})
    assert 'href="/?dst=http%3A%2F%2Fdetik.com%2F&amp;lang=en"' in page.text


def every_kind_of_response(client: FlaskClient, sessions: MemorySessions) -> list[TestResponse]:
    responses = [
        get(client, "/generate_204", host="connectivitycheck.gstatic.com"),  # 302
        get(client, "/"),  # splash
        post(client, "/connect", {"csrf": "bad"}),  # 400
        get(client, "/no-such-page"),  # 404
        get(client, "/api/captive"),  # 404 over http
        get(client, "/static/portal.css"),
    ]
    sessions.admit(PHONE)
    responses += [
        get(client, "/", host="judi.example"),  # 403
        get(client, "/", host="detik.com"),  # already online
        get(client, "/connected"),
        client.get(
            "/api/captive",
            base_url="https://portal.hotspot.internal",
            environ_base={"REMOTE_ADDR": PHONE},
        ),
    ]
    return responses


def test_security_headers_on_every_response(client: FlaskClient, sessions: MemorySessions) -> None:
    responses = every_kind_of_response(client, sessions)
    assert [r.status_code for r in responses] == [302, 200, 400, 404, 404, 200, 403, 200, 200, 200]
    for response in responses:
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["X-Frame-Options"] == "DENY"
        assert response.headers["Referrer-Policy"] == "no-referrer"
        csp = response.headers["Content-Security-Policy"]
        assert "default-src 'self'" in csp
        assert "script-src 'none'" in csp
        assert "unsafe-inline" not in csp
        assert "frame-ancestors 'none'" in csp
        response.close()  # the static file's handle


@pytest.mark.parametrize(
    ("path", "host"),
    [("/", None), ("/full", None), ("/connected", None), ("/x", "detik.com"), ("/", "a.example")],
)
def test_dynamic_pages_are_never_cached(
    client: FlaskClient, sessions: MemorySessions, path: str, host: str | None
) -> None:
    response = get(client, path) if host is None else get(client, path, host=host)
    assert response.headers["Cache-Control"] == "no-store"


def test_form_action_lets_connect_redirect_to_any_site(client: FlaskClient) -> None:
    # Chrome checks form-action against the redirect after the POST as well.
    csp = get(client, "/").headers["Content-Security-Policy"]
    assert "form-action 'self' http: https:" in csp


def test_the_session_cookie_is_http_only_and_same_site(client: FlaskClient) -> None:
    cookie = get(client, "/?lang=en").headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def test_no_cookie_is_set_for_a_foreign_name(client: FlaskClient, sessions: MemorySessions) -> None:
    assert "Set-Cookie" not in get(client, "/?lang=en", host="captive.apple.com").headers
    sessions.admit(PHONE)
    blocked = get(client, "/?lang=en", host="judi.example")
    assert "This site is blocked" in blocked.text
    assert "Set-Cookie" not in blocked.headers
