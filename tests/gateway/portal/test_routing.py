from __future__ import annotations

import pytest

from gateway.portal.routing import (
    MAX_DESTINATION_LENGTH,
    Route,
    normalise_host,
    route_request,
    safe_destination,
    splash_url,
)

PORTAL = frozenset({"portal.hotspot.internal", "10.77.0.1"})


def never_called() -> bool:
    raise AssertionError("not needed for this decision")


def never_blocked(host: str) -> str | None:
    raise AssertionError("not needed for this decision")


@pytest.mark.parametrize(
    ("header", "host"),
    [
        ("portal.hotspot.internal", "portal.hotspot.internal"),
        ("Portal.Hotspot.Internal:80", "portal.hotspot.internal"),
        ("10.77.0.1:8080", "10.77.0.1"),
        ("example.com.", "example.com"),
        ("[fe80::1]:80", "fe80::1"),
        (" example.com ", "example.com"),
        ("", ""),
    ],
)
def test_normalise_host(header: str, host: str) -> None:
    assert normalise_host(header) == host


@pytest.mark.parametrize("header", ["portal.hotspot.internal", "10.77.0.1", "10.77.0.1:80", ""])
def test_portal_hosts_get_the_portal_without_asking_sessions(header: str) -> None:
    assert route_request(header, PORTAL, never_called, never_blocked).kind == "portal"


def test_foreign_host_of_a_phone_not_admitted_goes_to_the_splash() -> None:
    route = route_request("Captive.Apple.com", PORTAL, lambda: False, never_blocked)
    assert route == Route("to_splash", "captive.apple.com")


def test_admitted_phone_on_a_blocked_host_gets_the_block_page() -> None:
    route = route_request("judi.example:80", PORTAL, lambda: True, {"judi.example": "gambling"}.get)
    assert route == Route("blocked", "judi.example", "gambling")


def test_admitted_phone_on_an_allowed_host_is_told_it_is_online() -> None:
    route = route_request("detik.com", PORTAL, lambda: True, lambda host: None)
    assert route == Route("already_online", "detik.com")


@pytest.mark.parametrize(
    "dst",
    [
        "http://connectivitycheck.gstatic.com/generate_204",
        "https://detik.com/berita?id=1&x=2",
        "http://captive.apple.com/hotspot-detect.html",
        "http://10.1.2.3:8080/x",
    ],
)
def test_safe_destination_accepts_absolute_http_urls(dst: str) -> None:
    assert safe_destination(dst, PORTAL) == dst


@pytest.mark.parametrize(
    "dst",
    [
        "",
        "/connected",
        "//evil.example/",
        "javascript:alert(1)",
        "data:text/html,hi",
        "ftp://example.com/",
        "http:///nohost",
        "http://portal.hotspot.internal/full",
        "http://10.77.0.1/",
        "http://bank.example@evil.example/",
        "http://exa mple.com/",
        "http://example.com/\r\nSet-Cookie: x=1",
        "http:\\\\evil.example",
        "http://example.com:notaport/",
        "http://[::1/",
        "http://example.com/" + "a" * MAX_DESTINATION_LENGTH,
    ],
)
def test_safe_destination_refuses_everything_else(dst: str) -> None:
    assert safe_destination(dst, PORTAL) is None


def test_splash_url_carries_the_original_address() -> None:
    url = splash_url("portal.hotspot.internal", "http://detik.com/a?b=c&d=e")
    assert url == "http://portal.hotspot.internal/?dst=http%3A%2F%2Fdetik.com%2Fa%3Fb%3Dc%26d%3De"


def test_splash_url_drops_an_overlong_address() -> None:
    long_url = "http://example.com/" + "a" * MAX_DESTINATION_LENGTH
    assert splash_url("portal.hotspot.internal", long_url) == "http://portal.hotspot.internal/"
    assert splash_url("portal.hotspot.internal", None) == "http://portal.hotspot.internal/"
