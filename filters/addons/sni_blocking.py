"""HTTPS by server name: a blocked SNI is refused unseen, any other is passed through encrypted."""

from __future__ import annotations

import logging

from mitmproxy import ctx, exceptions
from mitmproxy.tls import ClientHelloData

from filters.addons.counters import SNI_ALLOWED, SNI_BLOCKED, ProxyCounters
from filters.addons.decisions import TlsDecision, is_decided, pass_through, refuse
from filters.engine import BlocklistEngine

logger = logging.getLogger(__name__)

REQUIRED_STRATEGY = "lazy"


def check_connection_strategy(strategy: str) -> None:
    """Raise OptionsError unless mitmproxy waits for the ClientHello before connecting upstream."""
    if strategy != REQUIRED_STRATEGY:
        raise exceptions.OptionsError(  # type: ignore[no-untyped-call]  # untyped in mitmproxy
            f"SNI blocking needs connection_strategy={REQUIRED_STRATEGY!r}, not {strategy!r}: "
            "with 'eager' mitmproxy connects to the real server before the ClientHello is read, "
            "so a blocked site would still see the connection"
        )


class SniBlocking:
    """Refuses TLS connections whose SNI the blocklist engine blocks; passes the rest through."""

    def __init__(self, engine: BlocklistEngine, counters: ProxyCounters) -> None:
        self.engine = engine
        self.counters = counters

    def configure(self, updated: set[str]) -> None:
        """Check the one mitmproxy option this addon's guarantee depends on."""
        # The option belongs to mitmproxy's proxyserver addon; it is absent in bare test masters.
        if "connection_strategy" in updated:
            check_connection_strategy(ctx.options.connection_strategy)

    def running(self) -> None:
        """Complain loudly at start if the strategy was never set (configure only sees changes)."""
        strategy = getattr(ctx.options, "connection_strategy", REQUIRED_STRATEGY)
        if strategy != REQUIRED_STRATEGY:
            # ERROR during start-up makes mitmproxy's errorcheck addon stop the proxy.
            logger.error("connection_strategy is %r; SNI blocking needs 'lazy'", strategy)

    def tls_clienthello(self, data: ClientHelloData) -> None:
        """Decide by SNI; a ClientHello without one is left to the no-SNI policy."""
        sni = data.client_hello.sni
        if is_decided(data) or sni is None:
            return
        verdict = self.engine.lookup(sni)
        if verdict.blocked:
            reason = f"blocked by SNI {sni} ({verdict.category}: {verdict.source} {verdict.rule})"
            refuse(data, TlsDecision("refuse", reason, sni, verdict.category))
            self.counters.count(SNI_BLOCKED, verdict.category)
            logger.info("%s", reason)
        else:
            pass_through(data, TlsDecision("pass", "allowed by SNI", sni))
            self.counters.count(SNI_ALLOWED)
