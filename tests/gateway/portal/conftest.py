"""Fixtures for the portal: settings, the in-memory sessions double, an app and its client."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient

from gateway.portal.app import create_portal_app
from gateway.portal.settings import PortalSettings
from gateway.portal.stats import PortalStats
from tests.gateway.portal.memory_sessions import MemorySessions

PHONE = "10.77.0.23"
SECRET = b"test-secret-key-not-for-production"
HOST = "portal.hotspot.internal"
BLOCKED = {"judi.example": "gambling", "porn.example": "porn", "odd.example": "custom-list"}


def blocked_category(host: str) -> str | None:
    return BLOCKED.get(host)


@pytest.fixture
def settings() -> PortalSettings:
    return PortalSettings(
        hotspot_name="WiFi Kota Pasuruan",
        host_name=HOST,
        lan_address="10.77.0.1",
        language="id",
        https=True,
        https_port=443,
        venue_info_url="https://wifi.pasuruankota.example/info",
        report_contact="WhatsApp 0812-0000-0000",
        capacity=3,
    )


@pytest.fixture
def sessions() -> MemorySessions:
    return MemorySessions(capacity=3)


@pytest.fixture
def stats() -> PortalStats:
    return PortalStats()


@pytest.fixture
def clock() -> list[float]:
    """A settable clock: tests move now[0]."""
    return [1_700_000_000.0]


@pytest.fixture
def make_app(
    sessions: MemorySessions, stats: PortalStats, clock: list[float]
) -> Callable[[PortalSettings], Flask]:
    def make(settings: PortalSettings) -> Flask:
        return create_portal_app(
            settings, sessions, stats, blocked_category, SECRET, clock=lambda: clock[0]
        )

    return make


@pytest.fixture
def app(make_app: Callable[[PortalSettings], Flask], settings: PortalSettings) -> Flask:
    return make_app(settings)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """A phone at PHONE talking to the portal by its host name."""
    return app.test_client()
