"""A phone's whole day at the hotspot, in namespaces with `hotspot-gateway run` for real."""

from __future__ import annotations

from collections.abc import Callable

from tests.e2e.conftest import PORTAL, Hotspot, needs_root_tools
from tests.e2e.netns import INTERNET, LAN_GATEWAY

pytestmark = needs_root_tools

PAGE = "http://example.test/"


def test_a_new_phone_lands_on_the_splash_and_is_online_after_one_tap(
    make_hotspot: Callable[..., Hotspot],
) -> None:
    hotspot = make_hotspot()
    # DNS works before Connect (through the gateway's resolver).
    assert hotspot.phone(0, "resolve", "example.test", LAN_GATEWAY)["addresses"] == [INTERNET]
    # Its first page is the splash: a redirect carrying the page it asked for.
    first = hotspot.phone(0, "get", PAGE)
    assert first["status"] == 302
    assert first["location"].startswith(f"http://{PORTAL}/?dst=")
    pressed = hotspot.phone(0, "connect", PORTAL, dst=PAGE)
    assert pressed["status"] == 303 and pressed["location"] == PAGE, pressed
    page = hotspot.phone(0, "get", PAGE)
    assert page["status"] == 200 and "Example Test Page" in page["body"]
    # The other phone is still captive.
    assert hotspot.phone(1, "get", PAGE)["status"] == 302
