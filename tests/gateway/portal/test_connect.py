"""Pressing Connect: the token, the redirect to the page asked for, the full page and its wait."""

from __future__ import annotations

from flask.testing import FlaskClient

from gateway.portal.csrf import TOKEN_MAX_AGE
from gateway.portal.stats import PortalStats
from tests.gateway.portal.conftest import PHONE
from tests.gateway.portal.memory_sessions import MemorySessions
from tests.gateway.portal.phone import csrf_of, get, post, press_connect

PROBE = "http://connectivitycheck.gstatic.com/generate_204"


def test_connect_admits_the_phone_and_sends_it_to_the_page_it_asked_for(
    client: FlaskClient, sessions: MemorySessions, stats: PortalStats
) -> None:
    response = press_connect(client, dst=PROBE)
    assert response.status_code == 303
    assert response.headers["Location"] == PROBE
    assert sessions.is_admitted(PHONE)
    snapshot = stats.snapshot()
    assert snapshot["connects_admitted"] == 1
    assert snapshot["splash_views"] == 1
    assert snapshot["splash_then_online"] == 1


def test_connect_without_a_page_leads_to_the_connected_page(
    client: FlaskClient, sessions: MemorySessions
) -> None:
    response = press_connect(client)
    assert response.status_code == 303
    assert response.headers["Location"] == "/connected"
    page = get(client, "/connected")
    assert page.status_code == 200
    assert "Anda sudah tersambung" in page.text
    assert "11 jam 58 menit" in page.text  # MemorySessions: 12 h minus 61 s


def test_an_unsafe_destination_is_dropped(client: FlaskClient) -> None:
    unsafe = ("javascript:alert(1)", "//evil.example/", "http://portal.hotspot.internal/full")
    for n, dst in enumerate(unsafe):
        ip = f"10.77.0.{50 + n}"
        page = get(client, "/", query_string={"dst": dst}, ip=ip)
        assert f'value="{dst}"' not in page.text
        response = post(client, "/connect", {"csrf": csrf_of(page.text), "dst": dst}, ip=ip)
        assert response.headers["Location"] == "/connected"


def test_pressing_twice_is_harmless(
    client: FlaskClient, sessions: MemorySessions, stats: PortalStats
) -> None:
    token = csrf_of(get(client, "/", query_string={"dst": PROBE}).text)
    first = post(client, "/connect", {"csrf": token, "dst": PROBE})
    second = post(client, "/connect", {"csrf": token, "dst": PROBE})
    assert first.status_code == second.status_code == 303
    assert first.headers["Location"] == second.headers["Location"] == PROBE
    assert sessions.online() == 1
    assert stats.snapshot()["connects_already"] == 1
    assert stats.snapshot()["splash_then_online"] == 1


def test_a_missing_or_forged_token_gets_the_expired_page(
    client: FlaskClient, sessions: MemorySessions, stats: PortalStats
) -> None:
    for form in ({}, {"csrf": ""}, {"csrf": "1700000000.deadbeef"}, {"csrf": "x" * 5000}):
        response = post(client, "/connect", {**form, "dst": PROBE})
        assert response.status_code == 400
        assert "Halaman kedaluwarsa" in response.text
        assert 'href="/?dst=http%3A%2F%2Fconnectivitycheck.gstatic.com%2Fgenerate_204"' in (
            response.text
        )
    assert not sessions.is_admitted(PHONE)
    assert stats.snapshot()["connects_rejected_token"] == 4


def test_the_expired_page_exists_in_english(client: FlaskClient) -> None:
    get(client, "/?lang=en")
    response = post(client, "/connect", {"csrf": "nope"})
    assert response.status_code == 400
    assert "This page has expired" in response.text
    assert "Back to the start" in response.text
    assert 'href="/"' in response.text


def test_a_token_from_another_phone_or_too_old_is_refused(
    client: FlaskClient, clock: list[float]
) -> None:
    token = csrf_of(get(client, "/", ip="10.77.0.99").text)
    assert post(client, "/connect", {"csrf": token}).status_code == 400
    token = csrf_of(get(client, "/").text)
    clock[0] += TOKEN_MAX_AGE + 1
    assert post(client, "/connect", {"csrf": token}).status_code == 400


def test_an_old_token_from_a_phone_already_online_just_sends_it_on(
    client: FlaskClient, sessions: MemorySessions
) -> None:
    sessions.admit(PHONE)
    response = post(client, "/connect", {"csrf": "stale", "dst": PROBE})
    assert response.status_code == 303
    assert response.headers["Location"] == PROBE


def test_get_connect_goes_back_to_the_splash(client: FlaskClient) -> None:
    response = get(client, "/connect")
    assert response.status_code == 303
    assert response.headers["Location"] == "/"


def test_a_full_hotspot_shows_the_full_page_and_admits_when_a_place_frees(
    client: FlaskClient, sessions: MemorySessions, stats: PortalStats
) -> None:
    sessions.fill(3)
    response = press_connect(client, dst=PROBE)
    assert response.status_code == 303
    assert response.headers["Location"] == "/full"
    full = get(client, "/full")
    assert full.status_code == 200
    assert "Hotspot penuh" in full.text
    assert "3 dari 3 ponsel sedang tersambung." in full.text
    assert '<meta http-equiv="refresh" content="15;url=/full">' in full.text
    assert "Biarkan halaman ini terbuka" in full.text
    assert "<button" not in full.text  # already asked: no second tap needed
    assert not sessions.is_admitted(PHONE)

    sessions.evict("10.77.0.200")
    after = get(client, "/full")  # the page's own refresh
    assert after.status_code == 303
    assert after.headers["Location"] == PROBE
    assert sessions.is_admitted(PHONE)
    snapshot = stats.snapshot()
    assert snapshot["connects_full"] == 1
    assert snapshot["admitted_after_wait"] == 1
    assert snapshot["splash_then_online"] == 1

    # The intent is spent: a later visit to /full does not admit again.
    calls = sessions.admit_calls
    assert get(client, "/full").headers["Location"] == "/connected"
    assert sessions.admit_calls == calls


def test_the_full_page_in_english(client: FlaskClient, sessions: MemorySessions) -> None:
    sessions.fill(3)
    get(client, "/?lang=en")
    press_connect(client)
    full = get(client, "/full")
    assert "Hotspot full" in full.text
    assert "3 of 3 phones are connected." in full.text
    assert "every 15 seconds" in full.text


def test_full_page_without_having_pressed_connect(
    client: FlaskClient, sessions: MemorySessions
) -> None:
    sessions.fill(3)
    page = get(client, "/full")
    assert page.status_code == 200
    assert "Sambungkan saat ada tempat" in page.text
    assert sessions.admit_calls == 3  # only the fill: looking is not asking
    sessions.evict("10.77.0.201")
    response = get(client, "/full")
    assert response.status_code == 303
    assert response.headers["Location"] == "/"
    assert not sessions.is_admitted(PHONE)


def test_an_admitted_phone_sees_the_connected_page_on_the_splash(
    client: FlaskClient, sessions: MemorySessions, stats: PortalStats
) -> None:
    sessions.admit(PHONE)
    page = get(client, "/", query_string={"dst": PROBE})
    assert page.status_code == 200
    assert "Anda sudah tersambung" in page.text
    assert f'href="{PROBE}"' in page.text
    assert stats.snapshot()["splash_views"] == 0


def test_the_connected_page_needs_a_session(client: FlaskClient) -> None:
    response = get(client, "/connected")
    assert response.status_code == 303
    assert response.headers["Location"] == "/"


def test_old_connections_are_forgotten_only_after_the_reply_and_only_when_newly_online(
    client: FlaskClient, sessions: MemorySessions
) -> None:
    form = {"csrf": csrf_of(get(client, "/").text), "dst": PROBE}
    response = post(client, "/connect", form)
    assert response.status_code == 303 and sessions.settled == []  # not before the reply
    response.close()  # the server has sent the reply
    assert sessions.settled == [PHONE]
    again = post(client, "/connect", form)  # pressed twice: its live connections stay
    again.close()
    assert again.status_code == 303 and sessions.settled == [PHONE]
