"""NoSniPolicy: a ClientHello without a name follows the policy, both ways."""

from __future__ import annotations

import pytest
from mitmproxy import exceptions

from filters.addons import NoSniPolicy, ProxyCounters, default_addons
from filters.addons.counters import NO_SNI_ALLOWED, NO_SNI_BLOCKED
from filters.addons.decisions import decision_for
from filters.addons.no_sni import parse_no_sni_policy
from filters.engine import BlocklistEngine
from tests.filters.addons.harness import addon_context, hello_data


def test_default_policy_allows_and_counts(engine: BlocklistEngine) -> None:
    counters = ProxyCounters()
    addon = NoSniPolicy(engine, counters)
    with addon_context(addon) as tctx:
        data = hello_data("10.1.2.3", tctx.options, address=("10.1.2.3", 443))
        addon.tls_clienthello(data)
    assert data.ignore_connection is True
    assert data.context.server.error is None
    assert counters.get(NO_SNI_ALLOWED) == 1


def test_block_policy_refuses_and_counts(engine: BlocklistEngine) -> None:
    counters = ProxyCounters()
    addon = NoSniPolicy(engine, counters)
    with addon_context(addon) as tctx:
        tctx.configure(addon, no_sni_policy="block")
        data = hello_data(None, tctx.options, address=("10.1.2.3", 443))
        addon.tls_clienthello(data)
    assert data.ignore_connection is True  # no handshake with the client...
    assert data.context.server.error is not None  # ...and no connection to the server
    assert "10.1.2.3:443" in data.context.server.error
    decision = decision_for(data.context.client)
    assert decision is not None and decision.action == "refuse"
    assert counters.get(NO_SNI_BLOCKED) == 1


def test_a_name_is_not_the_policy_s_business(engine: BlocklistEngine) -> None:
    counters = ProxyCounters()
    addon = NoSniPolicy(engine, counters)
    with addon_context(addon) as tctx:
        tctx.configure(addon, no_sni_policy="block")
        data = hello_data("news.example", tctx.options)
        addon.tls_clienthello(data)
    assert not data.ignore_connection
    assert data.context.server.error is None
    assert counters.snapshot() == {}


def test_bad_policy_is_an_options_error(engine: BlocklistEngine) -> None:
    addon = NoSniPolicy(engine, ProxyCounters())
    with addon_context(addon) as tctx:
        with pytest.raises(exceptions.OptionsError, match=r"no_sni_policy.*allow, block"):
            tctx.configure(addon, no_sni_policy="drop")
        assert addon.policy == "allow"


@pytest.mark.parametrize(
    "address", [("198.51.100.77", 443), ("::ffff:198.51.100.77", 443), ("2001:db8:bad::1", 443)]
)
def test_a_listed_address_is_refused_whatever_the_policy(
    engine: BlocklistEngine, address: tuple[str, int]
) -> None:
    counters = ProxyCounters()
    addon = NoSniPolicy(engine, counters)
    with addon_context(addon) as tctx:
        data = hello_data(None, tctx.options, address=address)
        addon.tls_clienthello(data)  # the policy is "allow"
    assert data.ignore_connection is True
    assert data.context.server.error is not None
    decision = decision_for(data.context.client)
    assert decision is not None and decision.action == "refuse"
    category = "porn" if address[0].startswith("2001") else "gambling"
    assert decision.category == category
    assert counters.get(NO_SNI_BLOCKED, category) == 1


def test_an_excepted_address_passes_whatever_the_policy(engine: BlocklistEngine) -> None:
    counters = ProxyCounters()
    addon = NoSniPolicy(engine, counters)
    with addon_context(addon) as tctx:
        tctx.configure(addon, no_sni_policy="block")
        for address in ("198.51.100.9", "198.51.100.10"):  # excepted, and only listed
            data = hello_data(None, tctx.options, address=(address, 443))
            addon.tls_clienthello(data)
            refused = data.context.server.error is not None
            assert refused is (address == "198.51.100.10"), address
    assert counters.get(NO_SNI_ALLOWED) == 1
    assert counters.get(NO_SNI_BLOCKED) == 1


def test_parse_policy() -> None:
    assert parse_no_sni_policy(" Block ") == "block"
    with pytest.raises(ValueError, match="'deny'"):
        parse_no_sni_policy("deny")


@pytest.mark.parametrize(
    ("name", "policy", "refused"),
    [("judi.test", "allow", True), ("news.example", "block", False), (None, "block", True)],
)
def test_chain_in_order(
    engine: BlocklistEngine, name: str | None, policy: str, refused: bool
) -> None:
    addons = default_addons(engine)
    with addon_context(*addons) as tctx:
        tctx.options.update(no_sni_policy=policy)
        data = hello_data(name, tctx.options)
        for addon in addons:
            hook = getattr(addon, "tls_clienthello", None)
            if hook is not None:
                hook(data)
    assert data.ignore_connection is True
    assert (data.context.server.error is not None) is refused
