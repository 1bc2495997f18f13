"""The transparent proxy between admitted phones and the internet, with `run` for real."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable

from tests.e2e.conftest import PORTAL, Hotspot, needs_root_tools
from tests.e2e.netns import INTERNET

pytestmark = needs_root_tools


def tls_accepted(hotspot: Hotspot) -> int:
    """How many TLS connections the fake internet's HTTPS side has accepted so far."""
    return int(hotspot.phone(0, "get", f"http://{INTERNET}/accepted")["body"])


def test_https_is_checked_by_sni_without_decrypting(make_hotspot: Callable[..., Hotspot]) -> None:
    hotspot = make_hotspot(proxy=True)
    assert hotspot.phone(0, "connect", PORTAL)["status"] == 303
    # An allowed name passes through untouched: the real server's own certificate and page.
    allowed = hotspot.phone(0, "tls", INTERNET, "example.test")
    assert allowed["handshake"] and "Example Test Page" in allowed["reply"], allowed
    before = tls_accepted(hotspot)
    # A blocked name, at an address typed by hand (no DNS to stop it): closed, no certificate
    # from anyone, and the real server never hears of it.
    blocked = hotspot.phone(0, "tls", INTERNET, "www.judi.test")
    assert not blocked["handshake"], blocked
    assert tls_accepted(hotspot) == before


def test_http_is_checked_by_host(make_hotspot: Callable[..., Hotspot]) -> None:
    hotspot = make_hotspot(proxy=True)
    assert hotspot.phone(0, "connect", PORTAL)["status"] == 303
    page = hotspot.phone(0, "get", "http://example.test/")
    assert page["status"] == 200 and "Example Test Page" in page["body"]
    # The blocked name at the real address (DNS would have sent it to the block page).
    blocked = hotspot.phone(0, "get", "http://judi.test/", INTERNET)
    assert blocked["status"] == 403 and "judi.test" in blocked["body"], blocked
    assert "Situs ini diblokir" in blocked["body"]  # the same page as the portal's own
    assert "0812-0000-0000" in blocked["body"]  # with how to report a wrong block
    # A page the lists name, on a site they do not: that page alone gets the block page.
    listed = hotspot.phone(0, "get", "http://example.test/slot-gacor/hari-ini?x=1")
    assert listed["status"] == 403 and "Situs ini diblokir" in listed["body"], listed
    sibling = hotspot.phone(0, "get", "http://example.test/slot-gacoran")
    assert sibling["status"] == 200 and "Example Test Page" in sibling["body"], sibling
    # mitmproxy's own pages are not served to phones: mitm.it would offer its CA certificate.
    onboarding = hotspot.phone(0, "get", "http://mitm.it/cert/pem")
    assert onboarding["status"] == 200 and "Example Test Page" in onboarding["body"], onboarding


def test_garbage_and_clienthellos_in_pieces_leave_the_proxy_serving(
    make_hotspot: Callable[..., Hotspot],
) -> None:
    hotspot = make_hotspot()
    assert hotspot.phone(0, "connect", PORTAL)["status"] == 303
    before = tls_accepted(hotspot)
    garbage = hotspot.phone(0, "tls-pieces", INTERNET, "example.test", "0")
    assert not garbage["handshake"], garbage
    # A ClientHello in 7-byte segments is still read whole: judged by its name either way.
    allowed = hotspot.phone(0, "tls-pieces", INTERNET, "example.test", "7")
    assert allowed["handshake"], allowed
    blocked = hotspot.phone(0, "tls-pieces", INTERNET, "judi.test", "7")
    assert not blocked["handshake"], blocked
    # A ClientHello that declares 4 MiB and keeps coming is cut off near the 32 KiB cap.
    huge = hotspot.phone(0, "tls-huge", INTERNET, "400")
    assert huge["closed"] and huge["sent"] < 96 * 1024, huge
    assert tls_accepted(hotspot) == before + 1  # only the allowed one reached the server
    assert hotspot.phone(0, "tls", INTERNET, "example.test")["handshake"]  # still serving


def test_a_connection_that_says_nothing_or_trickles_is_closed_at_the_deadline(
    make_hotspot: Callable[..., Hotspot],
) -> None:
    hotspot = make_hotspot()
    assert hotspot.phone(0, "connect", PORTAL)["status"] == 303
    topo = hotspot.topo
    runs = []
    for mode in ("silent", "trickle"):  # at the same time: each waits for the deadline
        code = ("from tests.e2e import phone; print(phone.json.dumps(phone.hold_silent("
                f"{INTERNET!r}, 443, {mode == 'trickle'})))")  # fmt: skip
        runs.append(topo.start(topo.clients[0], [sys.executable, "-c", code],
                               stdout=subprocess.PIPE))  # fmt: skip
    for run in runs:
        closed = json.loads(run.communicate(timeout=60)[0])["closed_after"]
        assert closed is not None and 9 <= closed <= 16, closed  # the 10 s deadline
    assert hotspot.phone(0, "tls", INTERNET, "example.test")["handshake"]  # others unaffected
