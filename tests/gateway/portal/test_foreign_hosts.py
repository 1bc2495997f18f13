"""Requests whose Host is not the portal: OS probes and sites, before and after Connect."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient

from gateway.portal.settings import PortalSettings
from gateway.portal.stats import PortalStats
from tests.gateway.portal.conftest import HOST, PHONE
from tests.gateway.portal.memory_sessions import MemorySessions
from tests.gateway.portal.phone import get, post, press_connect

PROBES = [
    ("connectivitycheck.gstatic.com", "/generate_204", "android"),
    ("www.google.com", "/gen_204", "android"),
    ("connect.rom.miui.com", "/generate_204", "android"),
    ("captive.apple.com", "/hotspot-detect.html", "apple"),
    ("www.msftconnecttest.com", "/connecttest.txt", "windows"),
    ("detectportal.firefox.com", "/canonical.html", "firefox"),
]


@pytest.mark.parametrize(("host", "path", "family"), PROBES)
def test_a_probe_from_a_phone_not_admitted_is_redirected_to_the_splash(
    client: FlaskClient, stats: PortalStats, host: str, path: str, family: str
) -> None:
    response = get(client, path, host=host)
    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    assert (location.scheme, location.netloc, location.path) == ("http", HOST, "/")
    assert parse_qs(location.query) == {"dst": [f"http://{host}{path}"]}
    assert response.data  # never an empty body, whatever the status
    assert stats.snapshot()[f"probes_{family}"] == 1


def test_an_ordinary_site_keeps_its_query_in_dst(client: FlaskClient, stats: PortalStats) -> None:
    response = get(client, "/berita/1?utm=x&id=2", host="detik.com")
    assert response.status_code == 302
    dst = parse_qs(urlsplit(response.headers["Location"]).query)["dst"]
    assert dst == ["http://detik.com/berita/1?utm=x&id=2"]
    assert stats.snapshot()["pages_redirected"] == 1


@pytest.mark.parametrize("method", ["GET", "HEAD", "POST", "PUT", "OPTIONS"])
@pytest.mark.parametrize("path", ["/", "/generate_204", "/static/portal.css", "/api/captive", "/x"])
def test_a_phone_not_admitted_never_gets_a_200_from_a_foreign_host(
    client: FlaskClient, method: str, path: str
) -> None:
    response = client.open(
        path,
        method=method,
        base_url="http://connectivitycheck.gstatic.com",
        environ_base={"REMOTE_ADDR": PHONE},
    )
    assert response.status_code == 302


def test_an_overlong_address_is_redirected_without_dst(client: FlaskClient) -> None:
    response = get(client, "/" + "a" * 5000, host="example.com")
    assert response.status_code == 302
    assert response.headers["Location"] == f"http://{HOST}/"


def test_the_portal_answers_on_its_lan_address_too(client: FlaskClient) -> None:
    response = get(client, "/", host="10.77.0.1")
    assert response.status_code == 200
    assert "Sambungkan" in response.text


def test_an_admitted_phone_on_a_blocked_site_gets_the_block_page(
    client: FlaskClient, sessions: MemorySessions, stats: PortalStats
) -> None:
    sessions.admit(PHONE)
    response = get(client, "/slot", host="judi.example")
    assert response.status_code == 403
    assert "judi.example" in response.text
    assert "perjudian (judi online)" in response.text
    assert "WhatsApp 0812-0000-0000" in response.text
    assert "Situs ini diblokir" in response.text
    assert stats.snapshot()["block_pages"] == 1
    english = get(client, "/slot?lang=en", host="judi.example")
    assert "This site is blocked" in english.text
    assert "gambling (online betting)" in english.text


def test_a_category_without_words_is_shown_as_named(
    client: FlaskClient, sessions: MemorySessions
) -> None:
    sessions.admit(PHONE)
    assert "custom-list" in get(client, "/", host="odd.example").text


def test_without_a_contact_the_block_page_points_to_the_operator(
    make_app: Callable[[PortalSettings], Flask], settings: PortalSettings, sessions: MemorySessions
) -> None:
    app = make_app(replace(settings, report_contact=""))
    sessions.admit(PHONE)
    response = get(app.test_client(), "/", host="porn.example")
    assert response.status_code == 403
    assert "kepada pengelola hotspot" in response.text


def test_an_admitted_phone_on_an_allowed_site_is_told_it_is_online(
    client: FlaskClient, sessions: MemorySessions, stats: PortalStats
) -> None:
    sessions.admit(PHONE)
    response = get(client, "/berita?id=7", host="detik.com")
    assert response.status_code == 200
    assert 'href="http://detik.com/berita?id=7"' in response.text
    assert "Sudah tersambung" in response.text
    assert "Location" not in response.headers  # no redirect: it would come straight back
    assert stats.snapshot()["already_online_pages"] == 1


def test_the_language_link_never_points_to_another_site(
    client: FlaskClient, sessions: MemorySessions
) -> None:
    sessions.admit(PHONE)
    response = get(
        client, "/", host="detik.com", environ_overrides={"PATH_INFO": "//evil.example/x"}
    )
    assert 'href="/evil.example/x?lang=en"' in response.text


def test_a_post_to_a_foreign_host_is_redirected_too(client: FlaskClient) -> None:
    response = post(client, "/login", {"user": "x"}, host="example.com")
    assert response.status_code == 302


def test_intercepted_connections_are_not_kept_alive_but_the_portals_own_are(
    client: FlaskClient,
) -> None:
    # A kept-alive connection DNAT'd to the portal would carry the phone's next request to
    # that site back here after Connect.
    probe = client.get("/generate_204", headers={"Host": "connectivitycheck.gstatic.com"},
                       environ_base={"REMOTE_ADDR": PHONE})  # fmt: skip
    assert probe.status_code == 302 and probe.headers["Connection"] == "close"
    own = client.get("/", headers={"Host": "portal.hotspot.internal"},
                     environ_base={"REMOTE_ADDR": PHONE})  # fmt: skip
    assert "Connection" not in own.headers


def test_just_after_connect_a_stale_connection_is_sent_round_and_later_shown_the_page(
    client: FlaskClient, sessions: MemorySessions, clock: list[float]
) -> None:
    assert press_connect(client).status_code == 303
    stale = client.get("/news", headers={"Host": "detik.com"}, environ_base={"REMOTE_ADDR": PHONE})
    assert stale.status_code == 307 and stale.headers["Location"] == "http://detik.com/news"
    assert stale.headers["Connection"] == "close"  # the next try opens a new connection
    clock[0] += 31  # long after Connect: a stale DNS answer, say; no loop, a page with a link
    later = client.get("/news", headers={"Host": "detik.com"}, environ_base={"REMOTE_ADDR": PHONE})
    assert later.status_code == 200 and "detik.com/news" in later.text
