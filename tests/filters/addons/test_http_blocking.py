"""HttpBlocking: blocked hosts get the block page; others and the portal's own names pass."""

from __future__ import annotations

import pytest
from mitmproxy import exceptions, http
from mitmproxy.test import tflow, tutils

from filters.addons import HttpBlocking, ProxyCounters
from filters.addons.counters import HTTP_BLOCKED
from filters.addons.http_blocking import parse_portal_hosts, plain_block_page
from filters.engine import BlocklistEngine
from tests.filters.addons.harness import addon_context


def page(host: str, category: str) -> bytes:
    return f"<p>BLOCKED {host} [{category}]</p>".encode()


def transparent_flow(host_header: str, path: str = "/") -> http.HTTPFlow:
    """A request as transparent mode sees it: origin-form, the name only in the Host header."""
    request = tutils.treq(
        host="203.0.113.7",
        authority=b"",
        path=path.encode(),
        headers=((b"Host", host_header.encode()),),
    )
    return tflow.tflow(req=request)


def test_blocked_host_gets_the_block_page(engine: BlocklistEngine) -> None:
    counters = ProxyCounters()
    addon = HttpBlocking(engine, counters, page)
    with addon_context(addon):
        flow = transparent_flow("www.JUDI.test", "/slot?x=1")
        addon.request(flow)
    assert flow.response is not None
    assert flow.response.status_code == 403
    assert flow.response.headers["Content-Type"] == "text/html; charset=utf-8"
    assert flow.response.content == b"<p>BLOCKED www.judi.test [gambling]</p>"
    assert flow.metadata["hotspot_blocked"]["category"] == "gambling"
    assert counters.get(HTTP_BLOCKED, "gambling") == 1


def test_default_page_names_host_and_category(engine: BlocklistEngine) -> None:
    addon = HttpBlocking(engine, ProxyCounters())
    with addon_context(addon):
        flow = transparent_flow("porn.test")
        addon.request(flow)
    assert flow.response is not None
    body = flow.response.get_text()
    assert body is not None and "porn.test" in body and "Kategori: porn" in body
    assert b"<script>" not in plain_block_page("<script>", "x")


def test_allowed_host_is_untouched(engine: BlocklistEngine) -> None:
    counters = ProxyCounters()
    addon = HttpBlocking(engine, counters, page)
    with addon_context(addon):
        flow = transparent_flow("news.example")
        addon.request(flow)
        ip_flow = transparent_flow("203.0.113.7")
        addon.request(ip_flow)
    assert flow.response is None and "hotspot_blocked" not in flow.metadata
    assert ip_flow.response is None
    assert counters.snapshot() == {}


@pytest.mark.parametrize(
    ("host", "path", "blocked"),
    [
        ("news.example", "/slot-gacor", True),
        ("www.news.example", "/slot-gacor/hari-ini?page=2", True),  # under the page, a subdomain
        ("news.example", "/x/../%53lot-Gacor", True),  # what the server would serve anyway
        ("news.example", "//slot-gacor", True),
        ("news.example", "/slot-gacoran", False),  # another page that starts alike
        ("news.example", "/berita/slot-gacor", False),
        ("news.example", "/", False),
        ("198.51.100.7", "/", True),  # a listed address typed by hand
        ("198.51.100.9", "/", False),  # an address an allowlist excepts
    ],
)
def test_pages_and_addresses_named_by_the_lists(
    engine: BlocklistEngine, host: str, path: str, blocked: bool
) -> None:
    counters = ProxyCounters()
    addon = HttpBlocking(engine, counters, page)
    with addon_context(addon):
        flow = transparent_flow(host, path)
        addon.request(flow)
    assert (flow.response is not None) is blocked
    if blocked:
        assert flow.metadata["hotspot_blocked"]["category"] == "gambling"
        assert counters.get(HTTP_BLOCKED, "gambling") == 1


def test_portal_hosts_are_left_to_the_portal(engine: BlocklistEngine) -> None:
    addon = HttpBlocking(engine, ProxyCounters(), page)
    with addon_context(addon) as tctx:
        # A portal name the lists happen to cover is still the portal's.
        tctx.configure(addon, portal_hosts=["Portal.Judi.Test.", "10.0.0.1"])
        flow = transparent_flow("portal.judi.test")
        addon.request(flow)
        other = transparent_flow("judi.test")
        addon.request(other)
    assert flow.response is None
    assert other.response is not None and other.response.status_code == 403


def test_answered_or_dead_flows_are_skipped(engine: BlocklistEngine) -> None:
    addon = HttpBlocking(engine, ProxyCounters(), page)
    with addon_context(addon):
        answered = tflow.tflow(req=tutils.treq(host="judi.test"), resp=True)
        addon.request(answered)
        dead = tflow.tflow(req=tutils.treq(host="judi.test"), live=False)
        addon.request(dead)
    assert answered.response is not None and answered.response.status_code == 200
    assert dead.response is None


def test_bad_portal_host_is_an_options_error(engine: BlocklistEngine) -> None:
    addon = HttpBlocking(engine, ProxyCounters(), page)
    with addon_context(addon) as tctx:
        with pytest.raises(exceptions.OptionsError, match=r"portal_hosts: 'bad host/x'"):
            tctx.configure(addon, portal_hosts=["portal.test", "bad host/x"])
        assert addon.portal_hosts == frozenset()


def test_parse_portal_hosts() -> None:
    assert parse_portal_hosts(["A.Test.", "[::1]", "10.0.0.1"]) == {"a.test", "::1", "10.0.0.1"}
