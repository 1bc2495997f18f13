"""SniHostMismatch: a request whose Host is not its connection's SNI is noted and counted."""

from __future__ import annotations

from mitmproxy import http
from mitmproxy.test import tflow, tutils

from filters.addons import ProxyCounters, SniHostMismatch, default_addons
from filters.addons.counters import HTTP_BLOCKED, SNI_HOST_MISMATCH
from filters.engine import BlocklistEngine
from tests.filters.addons.harness import addon_context


def flow_on(sni: str | None, host: str) -> http.HTTPFlow:
    client = tflow.tclient_conn()
    client.sni = sni
    return tflow.tflow(client_conn=client, req=tutils.treq(host=host, authority=b""))


def test_disagreeing_host_is_counted() -> None:
    counters = ProxyCounters()
    addon = SniHostMismatch(counters)
    with addon_context(addon):
        flow = flow_on("cdn.example", "judi.test")
        addon.request(flow)
    assert flow.metadata["hotspot_sni_host_mismatch"] == {"sni": "cdn.example", "host": "judi.test"}
    assert counters.get(SNI_HOST_MISMATCH) == 1


def test_agreeing_or_missing_sni_is_not() -> None:
    counters = ProxyCounters()
    addon = SniHostMismatch(counters)
    with addon_context(addon):
        for flow in (flow_on("News.Example.", "news.example"), flow_on(None, "news.example")):
            addon.request(flow)
            assert "hotspot_sni_host_mismatch" not in flow.metadata
    assert counters.snapshot() == {}


def test_counted_even_when_the_request_was_blocked(engine: BlocklistEngine) -> None:
    counters = ProxyCounters()
    addons = default_addons(engine, counters=counters)
    with addon_context(*addons):
        flow = flow_on("cdn.example", "judi.test")
        for addon in addons:
            hook = getattr(addon, "request", None)
            if hook is not None:
                hook(flow)
    assert flow.response is not None and flow.response.status_code == 403
    assert counters.get(HTTP_BLOCKED, "gambling") == 1
    assert counters.get(SNI_HOST_MISMATCH) == 1
