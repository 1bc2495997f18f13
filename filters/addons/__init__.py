"""The transparent proxy's filtering addons for mitmproxy, one concern each, in order."""

from __future__ import annotations

from filters.addons.bounded_client_hello import BoundedClientHello
from filters.addons.counters import ProxyCounters
from filters.addons.first_message_deadline import FirstMessageDeadline
from filters.addons.http_blocking import BlockPage, HttpBlocking
from filters.addons.no_sni import NoSniPolicy
from filters.addons.sni_blocking import SniBlocking
from filters.addons.sni_host_mismatch import SniHostMismatch
from filters.engine import BlocklistEngine

__all__ = [
    "BoundedClientHello",
    "FirstMessageDeadline",
    "HttpBlocking",
    "NoSniPolicy",
    "ProxyCounters",
    "SniBlocking",
    "SniHostMismatch",
    "default_addons",
]


def default_addons(
    engine: BlocklistEngine,
    block_page: BlockPage | None = None,
    *,
    counters: ProxyCounters | None = None,
) -> list[object]:
    """The filtering addons in the order they must run, sharing one set of counters.

    They are added after mitmproxy's own addons (`gateway.proxy.service.mitmproxy_addons`),
    where BoundedClientHello, sharing these counters, stands in for mitmproxy's NextLayer.
    """
    counters = counters or ProxyCounters()
    return [
        # First: it starts each connection's clock, and stops it at the ClientHello or request.
        FirstMessageDeadline(counters),
        # Before NoSniPolicy: a ClientHello with a name is judged by the name; the policy only
        # sees what is left, and each skips a ClientHello the other has decided.
        SniBlocking(engine, counters),
        NoSniPolicy(engine, counters),
        HttpBlocking(engine, counters, block_page),
        # Last: it only observes, and also looks at requests HttpBlocking has answered.
        SniHostMismatch(counters),
    ]
