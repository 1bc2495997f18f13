"""A phone's whole day at the hotspot, in namespaces with `hotspot-gateway run` for real."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from gateway.demo.netns import INTERNET, LAN_GATEWAY, REPO, ip, wait_for
from gateway.demo.simulation import HotspotSettings, gateway_config
from tests.e2e.browser import CHROMIUM
from tests.e2e.conftest import LISTS, PORTAL, Hotspot, needs_root_tools
from tests.filters.builders import publish_lists, spec

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


PROBES = [  # (url, what the real internet answers once the phone is online)
    ("http://connectivitycheck.gstatic.com/generate_204", 204),
    ("http://clients3.google.com/generate_204", 204),
    ("http://www.google.com/gen_204", 204),
    ("http://connect.rom.miui.com/generate_204", 204),
    ("http://connectivitycheck.platform.hicloud.com/generate_204", 204),
    ("http://captive.apple.com/hotspot-detect.html", 200),
    ("http://www.msftconnecttest.com/connecttest.txt", 200),
    ("http://www.msftncsi.com/ncsi.txt", 200),
    ("http://detectportal.firefox.com/success.txt", 200),
]


def test_every_os_probe_opens_the_portal_before_and_reaches_the_internet_after(
    make_hotspot: Callable[..., Hotspot],
) -> None:
    hotspot = make_hotspot()
    for url, _ in PROBES:
        captive = hotspot.phone(0, "get", url)
        assert captive["status"] == 302, (url, captive)  # never a 200: the sheet must open
        assert captive["location"].startswith(f"http://{PORTAL}/"), url
    # Android's HTTPS probe is refused at once while captive (a reset, not a wait).
    assert hotspot.phone(0, "tcp", INTERNET, "443") == "refused"
    assert hotspot.phone(0, "connect", PORTAL)["status"] == 303
    for url, status in PROBES:
        online = hotspot.phone(0, "get", url)
        assert online["status"] == status, (url, online)
    assert (
        "Success" in hotspot.phone(0, "get", "http://captive.apple.com/hotspot-detect.html")["body"]
    )
    https = hotspot.phone(0, "get", "https://www.google.com/generate_204")
    assert https["status"] == 204  # the HTTPS probe goes out untouched
    # What an operator reads when residents say "the page does not pop up". (Two splash
    # views: the harness opened it once to see that the portal was up.)
    assert hotspot.stop() == 0
    portal = json.loads(hotspot.cli("sessions", "list", "--json").stdout)["portal"]
    assert (portal["probes_android"], portal["probes_apple"]) == (5, 1), portal
    assert (portal["probes_windows"], portal["probes_firefox"]) == (2, 1), sorted(portal.items())
    assert portal["splash_views"] == 2 and portal["splash_then_online"] == 1, sorted(portal.items())


def test_dns_to_any_resolver_is_answered_by_ours_and_bypasses_are_refused(
    make_hotspot: Callable[..., Hotspot],
) -> None:
    hotspot = make_hotspot()
    # judi.test is on the list: our answer is the block page address; the fake internet's
    # resolver would have said 192.0.2.1. Asked of an outside address, ours still answers.
    for server in (LAN_GATEWAY, INTERNET, "198.51.100.53"):
        answer = hotspot.phone(0, "resolve", "judi.test", server)
        assert answer["addresses"] == [LAN_GATEWAY], server
    assert hotspot.phone(0, "connect", PORTAL)["status"] == 303
    assert hotspot.phone(0, "resolve", "www.judi.test", INTERNET)["addresses"] == [LAN_GATEWAY]
    # QUIC, DoT and DoQ are refused outright, so apps fall back to what we can see.
    assert hotspot.phone(0, "udp", INTERNET, "443") != "answered"
    assert hotspot.phone(0, "udp", INTERNET, "443") != "timeout"
    assert hotspot.phone(0, "tcp", INTERNET, "853") == "refused"
    assert hotspot.phone(0, "tcp", INTERNET, "443") == "connected"  # plain HTTPS works
    # The block page for a blocked name: the name, its category, and how to report.
    blocked = hotspot.phone(0, "get", "http://judi.test/")
    assert blocked["status"] == 403
    assert "judi.test" in blocked["body"] and "0812-0000-0000" in blocked["body"]


def test_phones_cannot_reach_each_other_or_the_gateways_own_services(
    make_hotspot: Callable[..., Hotspot],
) -> None:
    hotspot = make_hotspot()
    topo = hotspot.topo
    other = topo.client_address(1)
    listener = [sys.executable, "-m", "http.server", "--bind", other, "8000"]
    topo.start(topo.clients[1], listener, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    console = [sys.executable, "-m", "http.server", "--bind", LAN_GATEWAY, "8081"]
    topo.start(topo.gateway, console, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    # Through the gateway, as an access point with client isolation sends it.
    ip("-n", topo.clients[0], "route", "add", f"{other}/32", "via", LAN_GATEWAY)
    for index in (0, 1):
        assert hotspot.phone(index, "connect", PORTAL)["status"] == 303
    wait_for(lambda: hotspot.phone(1, "tcp", other, "8000") == "connected", "the phone's server")
    wait_for(lambda: "200" in hotspot.gateway_command(
        "python3", "-c", f"import urllib.request as u; print(u.urlopen('http://{LAN_GATEWAY}:8081/').status)"),
        "the stand-in console")  # fmt: skip
    assert hotspot.phone(0, "tcp", other, "8000") == "refused"
    assert hotspot.phone(0, "tcp", LAN_GATEWAY, "8081") == "refused"
    assert hotspot.phone(0, "tcp", LAN_GATEWAY, "22") == "refused"


def test_150_phones_race_for_100_places_and_exactly_100_win(
    make_hotspot: Callable[..., Hotspot],
) -> None:
    hotspot = make_hotspot(clients=1, max_clients=100)
    hotspot.topo.add_crowd(150)  # 150 phones, each its own address and MAC
    phones = [f"10.77.0.{100 + n}" for n in range(150)]
    results = hotspot.phone(1, "race", PORTAL, *phones)
    statuses = [r["status"] for r in results.values()]
    assert statuses.count(303) == 150, [r for r in results.values() if r["status"] != 303][:3]
    online = [ip for ip, r in results.items() if r["location"] == "/connected"]
    full = [ip for ip, r in results.items() if r["location"] == "/full"]
    assert (len(online), len(full)) == (100, 50)
    listed = json.loads(hotspot.cli("sessions", "list", "--json").stdout)
    assert listed["online"] == 100
    assert sorted(s["ip"] for s in listed["sessions"]) == sorted(online)
    assert len({s["mac"] for s in listed["sessions"]}) == 100  # each phone its own MAC
    elements = hotspot.gateway_command("nft", "-j", "list", "set", "inet", "hotspot_gateway",
                                       "admitted")  # fmt: skip
    assert sum(ip in elements for ip in online) == 100
    assert not any(f'"{ip}"' in elements for ip in full)


def test_a_phone_that_left_frees_its_place_for_the_next(
    make_hotspot: Callable[..., Hotspot],
) -> None:
    hotspot = make_hotspot(max_clients=1, idle_timeout="2s")
    assert hotspot.phone(0, "connect", PORTAL)["location"] == "/connected"
    assert hotspot.phone(1, "connect", PORTAL)["location"] == "/full"
    time.sleep(3)  # quiet, but still here: it answers the gateway's ARP probe and stays
    assert hotspot.phone(1, "connect", PORTAL)["location"] == "/full"
    ip("-n", hotspot.topo.clients[0], "link", "set", "eth0", "down")  # it walked away
    wait_for(lambda: hotspot.phone(1, "connect", PORTAL)["location"] == "/connected",
             "the next phone getting the freed place", limit=30, every=1)  # fmt: skip
    assert hotspot.phone(1, "get", PAGE)["status"] == 200


def test_a_restart_keeps_every_session_and_is_closed_while_down(
    make_hotspot: Callable[..., Hotspot],
) -> None:
    hotspot = make_hotspot()
    assert hotspot.phone(0, "connect", PORTAL)["status"] == 303
    assert hotspot.phone(0, "get", PAGE)["status"] == 200
    assert hotspot.stop() == 0, hotspot.log_text()
    # Stopped: fail closed. The phone does not get out, filtered or not.
    assert hotspot.phone(0, "tcp", INTERNET, "80") == "refused"
    hotspot.start()
    page = hotspot.phone(0, "get", PAGE)  # no second tap after the restart
    assert page["status"] == 200 and "Example Test Page" in page["body"]
    assert hotspot.phone(1, "get", PAGE)["status"] == 302  # nobody new got in


def test_the_full_page_lets_the_phone_in_when_a_place_frees(
    make_hotspot: Callable[..., Hotspot],
) -> None:
    hotspot = make_hotspot(max_clients=1)
    assert hotspot.phone(0, "connect", PORTAL)["location"] == "/connected"
    waiting = hotspot.phone(1, "connect", PORTAL, dst=PAGE)
    assert waiting["location"] == "/full"
    cookie = waiting["cookie"]
    full = hotspot.phone(1, "get", f"http://{PORTAL}/full", cookie=cookie)
    assert full["status"] == 200 and 'http-equiv="refresh"' in full["body"]
    assert "1" in full["body"]  # how many are online
    kicked = hotspot.cli("sessions", "kick", hotspot.topo.client_address(0))
    assert kicked.returncode == 0, kicked.stderr
    assert hotspot.phone(0, "tcp", INTERNET, "443") == "refused"  # kicked: out at once
    refreshed = hotspot.phone(1, "get", f"http://{PORTAL}/full", cookie=cookie)
    assert refreshed["status"] == 303 and refreshed["location"] == PAGE  # in, without a tap
    assert hotspot.phone(1, "get", PAGE)["status"] == 200


ARTIFACTS = REPO / "test-artifacts" / "e2e"


@pytest.mark.skipif(
    not Path(CHROMIUM).exists(), reason="needs Debian's chromium (make test installs it)"
)
def test_a_browser_lands_on_the_splash_taps_connect_and_reaches_the_page(
    make_hotspot: Callable[..., Hotspot],
) -> None:
    hotspot = make_hotspot(max_clients=1)
    topo = hotspot.topo

    def browse(index: int, mode: str) -> dict[str, Any]:
        argv = ["browser", mode, str(ARTIFACTS)]
        code = f"import sys; from tests.e2e import browser; sys.argv = {argv!r}; browser.main()"
        seen: dict[str, Any] = json.loads(topo.python(topo.clients[index], code, timeout=180))
        return seen

    seen = browse(0, "connect")
    assert seen["splash_url"].startswith(f"http://{PORTAL}/"), seen
    assert seen["splash_lang"] == "id" and seen["button_height"] >= 44
    assert seen["after_url"] == PAGE and seen["after_title"] == "Example Test Page", seen
    assert "judi.test" in seen["blocked_text"], seen  # the block page names the site
    full = browse(1, "full")  # the only place is taken: the second phone waits
    assert full["after_url"].startswith(f"http://{PORTAL}/full"), full
    for shot in ("connect-splash", "connect-after-connect", "blocked", "full-after-connect"):
        assert (ARTIFACTS / f"{shot}.png").stat().st_size > 1000


def test_sighup_reloads_config_and_lists_without_dropping_a_phone_or_a_query(
    make_hotspot: Callable[..., Hotspot],
) -> None:
    hotspot = make_hotspot(max_clients=1)
    assert hotspot.phone(0, "connect", PORTAL)["location"] == "/connected"
    assert hotspot.phone(1, "connect", PORTAL)["location"] == "/full"
    assert hotspot.phone(0, "resolve", "slot.test", LAN_GATEWAY)["addresses"] == [INTERNET]
    hotspot.config.write_text(gateway_config(hotspot.state, HotspotSettings(max_clients=2), {}))
    lists = [(spec(name, category), text) for name, (category, text) in LISTS.items()]
    publish_lists(hotspot.state, [*lists, (spec("slot", "gambling"), "slot.test\n")])
    topo = hotspot.topo
    code = "from tests.e2e import phone; print(phone.json.dumps(phone.keep_resolving(" \
        f"'example.test', {LAN_GATEWAY!r}, 6)))"  # fmt: skip
    queries = topo.start(topo.clients[0], [sys.executable, "-c", code], stdout=subprocess.PIPE)
    time.sleep(1)
    assert hotspot.process is not None
    hotspot.process.send_signal(signal.SIGHUP)
    out, _ = queries.communicate(timeout=60)
    counted = json.loads(out)
    assert counted["failed"] == 0 and counted["answered"] > 100, counted
    wait_for(lambda: hotspot.phone(1, "connect", PORTAL)["location"] == "/connected",
             "a second place after the reload", limit=30, every=1)  # fmt: skip
    assert hotspot.phone(0, "get", PAGE)["status"] == 200  # never dropped
    assert hotspot.phone(0, "resolve", "slot.test", LAN_GATEWAY)["addresses"] == [LAN_GATEWAY]
    assert "reloaded config and lists" in hotspot.log_text()


def cake_available() -> bool:
    """Whether this kernel has the cake qdisc (sch_cake); some test kernels are built without."""
    probe = f"hg-cake-{os.getpid()}"
    try:
        ip("netns", "add", probe)
        ip("-n", probe, "link", "add", "c0", "type", "veth", "peer", "name", "c1")
        done = subprocess.run(["ip", "netns", "exec", probe, "tc", "qdisc", "add", "dev", "c0",
                               "root", "cake"], capture_output=True, timeout=30)  # fmt: skip
        return done.returncode == 0
    finally:
        ip("netns", "del", probe)


@pytest.mark.skipif(not cake_available(), reason="this kernel has no cake qdisc (sch_cake)")
def test_one_phones_many_downloads_do_not_starve_another_phone(
    make_hotspot: Callable[..., Hotspot],
) -> None:
    hotspot = make_hotspot(downlink_mbit=20)
    for index in (0, 1):
        assert hotspot.phone(index, "connect", PORTAL)["status"] == 303
    topo = hotspot.topo
    results = []
    for index, connections in ((0, 8), (1, 1)):  # a greedy phone and a modest one, together
        code = ("from tests.e2e import phone; print(phone.json.dumps(phone.download("
                f"'http://example.test/bulk', {connections}, 8)))")  # fmt: skip
        results.append(topo.start(topo.clients[index], [sys.executable, "-c", code],
                                  stdout=subprocess.PIPE))  # fmt: skip
    greedy, modest = (json.loads(p.communicate(timeout=90)[0])["bytes"] for p in results)
    # cake shares per phone, not per connection: the modest phone gets about half, not 1/9.
    assert modest > 0.35 * (greedy + modest), (greedy, modest)


def test_the_rfc_8908_api_is_served_on_https_for_the_portals_name(
    make_hotspot: Callable[..., Hotspot],
) -> None:
    hotspot = make_hotspot(tls=True)
    api, cafile = f"https://{PORTAL}/api/captive", str(hotspot.config.parent / "portal.pem")
    before = hotspot.phone(0, "captive-api", api, cafile)
    assert before["status"] == 200 and before["content_type"] == "application/captive+json"
    assert before["json"]["captive"] is True
    assert before["json"]["user-portal-url"] == f"https://{PORTAL}/"
    assert hotspot.phone(0, "connect", PORTAL)["status"] == 303
    after = hotspot.phone(0, "captive-api", api, cafile)["json"]
    assert after["captive"] is False and 3500 < after["seconds-remaining"] <= 3600, after
    # Over plain http there is no API, so nobody can advertise one.
    assert hotspot.phone(0, "get", f"http://{PORTAL}/api/captive")["status"] == 404
