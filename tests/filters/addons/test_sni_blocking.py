"""SniBlocking on real ClientHellos and a real engine."""

from __future__ import annotations

import pytest
from mitmproxy import exceptions
from mitmproxy.addons.proxyserver import Proxyserver

from filters.addons import ProxyCounters, SniBlocking
from filters.addons.counters import SNI_ALLOWED, SNI_BLOCKED
from filters.addons.decisions import decision_for
from filters.engine import BlocklistEngine
from tests.filters.addons.harness import addon_context, client_hello, hello_data


def test_real_client_hello_carries_the_name() -> None:
    assert client_hello("www.judi.test").sni == "www.judi.test"
    assert client_hello("10.1.2.3").sni is None  # Python sends no SNI for an IP


def test_blocked_sni_is_refused_without_handshake_or_upstream(engine: BlocklistEngine) -> None:
    counters = ProxyCounters()
    addon = SniBlocking(engine, counters)
    with addon_context(addon) as tctx:
        data = hello_data("WWW.Judi.Test", tctx.options)
        addon.tls_clienthello(data)
    # ignore_connection: mitmproxy's ClientTLSLayer skips its handshake (no certificate);
    # server.error: the passthrough layer's OpenConnection is killed before connecting.
    assert data.ignore_connection is True
    assert data.context.server.error is not None
    assert "judi.test" in data.context.server.error.lower()
    assert "gambling" in data.context.server.error
    assert not data.establish_server_tls_first
    assert data.context.server.timestamp_start is None  # nothing was opened
    decision = decision_for(data.context.client)
    assert decision is not None
    assert (decision.action, decision.category) == ("refuse", "gambling")
    assert counters.get(SNI_BLOCKED, "gambling") == 1
    assert counters.get(SNI_ALLOWED) == 0


def test_allowed_sni_passes_through_undecrypted(engine: BlocklistEngine) -> None:
    counters = ProxyCounters()
    addon = SniBlocking(engine, counters)
    with addon_context(addon) as tctx:
        data = hello_data("news.example", tctx.options)
        addon.tls_clienthello(data)
    assert data.ignore_connection is True
    assert data.context.server.error is None
    decision = decision_for(data.context.client)
    assert decision is not None and decision.action == "pass"
    assert counters.snapshot() == {(SNI_ALLOWED, "-"): 1}


def test_no_sni_is_left_to_the_policy(engine: BlocklistEngine) -> None:
    addon = SniBlocking(engine, ProxyCounters())
    with addon_context(addon) as tctx:
        data = hello_data(None, tctx.options)
        addon.tls_clienthello(data)
    assert data.ignore_connection is False
    assert data.context.server.error is None


def test_decided_connection_is_not_judged_again(engine: BlocklistEngine) -> None:
    counters = ProxyCounters()
    addon = SniBlocking(engine, counters)
    with addon_context(addon) as tctx:
        data = hello_data("judi.test", tctx.options)
        data.ignore_connection = True  # another addon chose to pass it
        addon.tls_clienthello(data)
    assert data.context.server.error is None
    assert counters.snapshot() == {}


def test_eager_connection_strategy_is_an_options_error(engine: BlocklistEngine) -> None:
    addon = SniBlocking(engine, ProxyCounters())
    with addon_context(Proxyserver(), addon) as tctx:
        with pytest.raises(exceptions.OptionsError, match="connection_strategy='lazy'"):
            tctx.configure(addon, connection_strategy="eager")
        tctx.configure(addon, connection_strategy="lazy")


def test_eager_strategy_left_unset_is_an_error_at_start(
    engine: BlocklistEngine, caplog: pytest.LogCaptureFixture
) -> None:
    addon = SniBlocking(engine, ProxyCounters())
    with addon_context(Proxyserver(), addon):  # mitmproxy's default strategy is eager
        addon.running()
    assert "needs 'lazy'" in caplog.text
