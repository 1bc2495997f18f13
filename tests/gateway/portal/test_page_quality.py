"""Every page, in both languages: small, self-contained, script-free and readable on a phone."""

from __future__ import annotations

import re
from urllib.parse import urljoin, urlsplit

import pytest
from flask.testing import FlaskClient

from gateway.portal.app import STYLESHEET
from gateway.portal.security_headers import style_hash
from tests.gateway.portal.conftest import HOST
from tests.gateway.portal.memory_sessions import MemorySessions
from tests.gateway.portal.phone import get, post, press_connect

PAGE_BUDGET = 30 * 1024
WCAG_AA_TEXT = 4.5
PORTAL_HOSTS = {HOST, "10.77.0.1"}
ASSET = re.compile(
    r"<(?:link|script|img|iframe|source|video|audio|embed|object)\b[^>]*?"
    r"\b(?:href|src|data)=\"([^\"]*)\"",
    re.IGNORECASE,
)
CSS_URL = re.compile(r"url\(\s*['\"]?([^'\")]+)")


def pages(
    client: FlaskClient, sessions: MemorySessions, lang: str, clock: list[float]
) -> dict[str, str]:
    """Every page the portal renders, in one language."""
    get(client, f"/?lang={lang}", ip="10.77.0.1")  # sets the language cookie
    rendered = {"splash": get(client, "/").text}
    rendered["expired"] = post(client, "/connect", {"csrf": "old"}).text
    sessions.fill(3)
    rendered["full, not asked yet"] = get(client, "/full").text
    press_connect(client)
    rendered["full, waiting"] = get(client, "/full").text
    sessions.evict("10.77.0.200")
    get(client, "/full")
    rendered["connected"] = get(client, "/connected").text
    # Cookies are per host: on a foreign name only ?lang= (the switch link) sets the language.
    rendered["blocked"] = get(client, f"/?lang={lang}", host="judi.example").text
    clock[0] += 60  # online for a while: a stale name shows the "already" page
    rendered["already online"] = get(client, f"/page?lang={lang}", host="detik.com").text
    return rendered


@pytest.fixture(params=["id", "en"])
def rendered(
    request: pytest.FixtureRequest,
    client: FlaskClient,
    sessions: MemorySessions,
    clock: list[float],
) -> tuple[str, dict[str, str]]:
    lang: str = request.param
    return lang, pages(client, sessions, lang, clock)


def linked_assets(html: str) -> list[str]:
    return ASSET.findall(html) + CSS_URL.findall(html)


def test_every_page_is_a_complete_accessible_document(rendered: tuple[str, dict[str, str]]) -> None:
    lang, all_pages = rendered
    for name, html in all_pages.items():
        assert html.startswith("<!doctype html>"), name
        assert f'<html lang="{lang}">' in html, name
        assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html
        assert '<meta charset="utf-8">' in html
        assert len(re.findall(r"<h1[\s>]", html)) == 1, name
        assert re.search(r"<title>[^<]+</title>", html), name
        assert "<script" not in html.lower(), name
        assert not re.search(r"\son[a-z]+=", html, re.IGNORECASE), name  # no inline handlers
        assert "{" not in re.sub(r"<style>.*?</style>", "", html, flags=re.S), name


def test_no_page_loads_anything_from_outside(rendered: tuple[str, dict[str, str]]) -> None:
    for name, html in rendered[1].items():
        for asset in linked_assets(html):
            assert not urlsplit(asset).netloc, (name, asset)
            assert not urlsplit(asset).scheme, (name, asset)


def test_the_splash_refers_to_no_other_host(client: FlaskClient) -> None:
    for lang in ("id", "en"):
        html = get(client, f"/?lang={lang}").text
        assert not re.findall(r"https?:", html)
        assert not re.findall(r'(?:href|src|action)="//', html)
        with_dst = get(client, "/", query_string={"dst": "http://detik.com/x"}).text
        hosts = set(re.findall(r"https?://([^/\s\"'<>]+)", with_dst))
        assert hosts - PORTAL_HOSTS == {"detik.com"}
        # ... and only as the value carried through the form, never as something to load
        assert with_dst.count("http://detik.com/x") == 1
        assert '<input type="hidden" name="dst" value="http://detik.com/x">' in with_dst


def test_the_splash_has_one_connect_button_in_each_language(client: FlaskClient) -> None:
    for lang, label in (("id", "Sambungkan"), ("en", "Connect")):
        html = get(client, f"/?lang={lang}").text
        assert html.count("<button") == 1
        assert f'<button type="submit" class="button">{label}</button>' in html
        assert '<form method="post" action="/connect">' in html
        assert "WiFi Kota Pasuruan" in html


def test_every_page_with_its_assets_is_under_30_kb(
    client: FlaskClient, rendered: tuple[str, dict[str, str]]
) -> None:
    for name, html in rendered[1].items():
        total = len(html.encode("utf-8"))
        for asset in linked_assets(html):
            response = get(client, urljoin("/", asset))
            assert response.status_code == 200, asset
            total += len(response.data)
            response.close()
        assert total < PAGE_BUDGET, (name, total)


def test_the_inline_stylesheet_is_allowed_by_its_hash(client: FlaskClient) -> None:
    response = get(client, "/")
    inline = re.search(r"<style>(.*?)</style>", response.text, re.S)
    assert inline
    assert inline.group(1) == STYLESHEET.read_text(encoding="utf-8")
    assert f"style-src {style_hash(inline.group(1))}" in response.headers["Content-Security-Policy"]


def css_rules(css: str) -> list[tuple[str, dict[str, str]]]:
    rules = []
    for selector, body in re.findall(r"([^{}]+)\{([^{}]*)\}", css):
        declarations = dict(
            (part.split(":", 1)[0].strip(), part.split(":", 1)[1].strip())
            for part in body.split(";")
            if ":" in part
        )
        rules.append((selector.strip(), declarations))
    return rules


def luminance(hex_colour: str) -> float:
    channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_text_colours_meet_wcag_aa() -> None:
    rules = css_rules(STYLESHEET.read_text(encoding="utf-8"))
    surfaces = [d["background"] for s, d in rules if s in ("body", ".card")]
    assert surfaces == ["#f3f5f7", "#ffffff"]
    checked = 0
    for selector, declarations in rules:
        colour = declarations.get("color")
        if colour is None:
            continue
        assert re.fullmatch(r"#[0-9a-f]{6}", colour), (selector, colour)
        own = declarations.get("background")
        for background in [own] if own else surfaces:
            assert contrast(colour, background) >= WCAG_AA_TEXT, (selector, colour, background)
            checked += 1
    assert checked >= 6


def test_touch_targets_are_at_least_44_px_and_fonts_are_the_systems() -> None:
    css = STYLESHEET.read_text(encoding="utf-8")
    rules = dict(css_rules(css))
    assert int(rules[".button"]["min-height"].removesuffix("px")) >= 44
    assert int(rules["footer a"]["min-height"].removesuffix("px")) >= 44
    assert "system-ui" in rules["body"]["font"]
    assert "@font-face" not in css and "@import" not in css and "url(" not in css
