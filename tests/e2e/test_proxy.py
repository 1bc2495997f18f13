"""The transparent proxy between admitted phones and the internet, with `run` for real."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable

from gateway.demo.netns import INTERNET
from tests.e2e.conftest import PORTAL, Hotspot, needs_root_tools

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


def test_2000_idle_connections_leave_the_proxy_serving_and_are_closed_at_the_deadline(
    make_hotspot: Callable[..., Hotspot],
) -> None:
    hotspot = make_hotspot(clients=1)
    # mitmproxy's own backlog of 100 would drop the burst's SYNs, and with SYN cookies leave
    # phones holding connections the proxy never saw.
    listener = hotspot.gateway_command("ss", "-ltnH", "sport = :8443").split()
    assert listener[2] == "4096", listener
    topo = hotspot.topo
    crowd = topo.add_crowd(10)  # ten phones of 200 connections each: under the 256 a phone may hold
    phones = [f"10.77.0.{100 + n}" for n in range(10)]
    admitted = hotspot.phone(1, "race", PORTAL, *phones)
    assert all(r["location"] == "/connected" for r in admitted.values()), admitted
    assert hotspot.phone(0, "connect", PORTAL)["status"] == 303
    holder = topo.start(crowd, [sys.executable, "-m", "tests.e2e.idle_crowd", INTERNET, "443",
                                "200", "40", *phones], stdout=subprocess.PIPE)  # fmt: skip
    assert holder.stdout is not None
    setup = json.loads(holder.stdout.readline())
    assert setup["established"] == 2000, setup
    # While the 2,000 say nothing, another phone is served as ever, and the proxy is up.
    assert hotspot.phone(0, "tls", INTERNET, "example.test")["handshake"]
    assert not hotspot.phone(0, "tls", INTERNET, "www.judi.test")["handshake"]
    page = hotspot.phone(0, "get", "http://example.test/")
    assert page["status"] == 200, page
    closes = json.loads(holder.stdout.readline())
    holder.wait(timeout=30)
    # Every one closed by the proxy at its 10 s deadline (counted from each connect).
    assert closes["closed_by_peer"] == 2000, closes
    assert closes["closed_after"][0] >= 9 and closes["closed_after"][1] <= 10 + setup["seconds"] + 8
    assert hotspot.process is not None and hotspot.process.poll() is None  # never fell over
    assert hotspot.phone(0, "tls", INTERNET, "example.test")["handshake"]
