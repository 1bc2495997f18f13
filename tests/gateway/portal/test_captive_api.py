"""RFC 8908 over https only, with the fields a phone reads."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace

from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from gateway.portal.captive_api import captive_api_body
from gateway.portal.settings import PortalSettings
from tests.gateway.portal.conftest import HOST, PHONE
from tests.gateway.portal.memory_sessions import SESSION_SECONDS, MemorySessions


def api(client: FlaskClient, scheme: str = "https") -> TestResponse:
    return client.get(
        "/api/captive", base_url=f"{scheme}://{HOST}", environ_base={"REMOTE_ADDR": PHONE}
    )


def test_a_phone_not_admitted_is_captive(client: FlaskClient) -> None:
    response = api(client)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/captive+json"
    assert response.headers["Cache-Control"] == "private, no-store"
    assert json.loads(response.data) == {
        "captive": True,
        "user-portal-url": "https://portal.hotspot.internal/",
        "venue-info-url": "https://wifi.pasuruankota.example/info",
        "can-extend-session": False,
    }


def test_an_admitted_phone_is_told_how_long_it_has(
    client: FlaskClient, sessions: MemorySessions
) -> None:
    sessions.admit(PHONE)
    body = json.loads(api(client).data)
    assert body["captive"] is False
    assert body["seconds-remaining"] == SESSION_SECONDS - 61
    assert body["can-extend-session"] is False


def test_never_served_over_http(client: FlaskClient) -> None:
    assert api(client, scheme="http").status_code == 404


def test_not_served_at_all_without_a_certificate(
    make_app: Callable[[PortalSettings], Flask], settings: PortalSettings
) -> None:
    app = make_app(replace(settings, https=False))
    assert api(app.test_client()).status_code == 404


def test_body_without_venue_and_with_another_port(settings: PortalSettings) -> None:
    body = captive_api_body(replace(settings, venue_info_url="", https_port=8443), False, None)
    assert body == {
        "captive": True,
        "user-portal-url": "https://portal.hotspot.internal:8443/",
        "can-extend-session": False,
    }


def test_seconds_remaining_only_when_not_captive(settings: PortalSettings) -> None:
    assert "seconds-remaining" not in captive_api_body(settings, False, 100)
    assert "seconds-remaining" not in captive_api_body(settings, True, None)
    assert captive_api_body(settings, True, -3)["seconds-remaining"] == 0
