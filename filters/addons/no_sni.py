"""TLS without a server name (an IP typed by hand, or an SNI mitmproxy finds invalid).

The destination address is checked against the lists' address entries (TrustPositif publishes
blocked addresses too): a listed address is refused, an address a list excepts is passed, and
any other follows the `no_sni_policy` option.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from mitmproxy import ctx, exceptions
from mitmproxy.addonmanager import Loader
from mitmproxy.tls import ClientHelloData

from filters.addons.counters import NO_SNI_ALLOWED, NO_SNI_BLOCKED, ProxyCounters
from filters.addons.decisions import TlsDecision, is_decided, pass_through, refuse
from filters.engine import BlocklistEngine

logger = logging.getLogger(__name__)

POLICIES: Sequence[str] = ("allow", "block")


def parse_no_sni_policy(value: str) -> str:
    """The policy named by the option; ValueError for anything but allow or block."""
    policy = value.strip().lower()
    if policy not in POLICIES:
        raise ValueError(f"must be one of {', '.join(POLICIES)}, not {value!r}")
    return policy


class NoSniPolicy:
    """Passes or refuses a ClientHello that names no server, by its address, then by policy."""

    def __init__(self, engine: BlocklistEngine, counters: ProxyCounters) -> None:
        self.engine = engine
        self.counters = counters
        self.policy = "allow"  # the option's default; configure only runs on changes

    def load(self, loader: Loader) -> None:
        """Declare `no_sni_policy`."""
        loader.add_option(
            "no_sni_policy",
            str,
            "allow",
            "What to do with TLS connections that carry no server name (SNI): allow or block.",
        )

    def configure(self, updated: set[str]) -> None:
        """Parse `no_sni_policy`."""
        if "no_sni_policy" in updated:
            try:
                self.policy = parse_no_sni_policy(ctx.options.no_sni_policy)
            except ValueError as e:
                # mitmproxy leaves its exceptions' __init__ untyped.
                raise exceptions.OptionsError(f"Invalid no_sni_policy: {e}") from e  # type: ignore[no-untyped-call]

    def tls_clienthello(self, data: ClientHelloData) -> None:
        """Apply the policy to a ClientHello without SNI."""
        if is_decided(data) or data.client_hello.sni is not None:
            return
        address = data.context.server.address
        destination = f"{address[0]}:{address[1]}" if address else "unknown destination"
        verdict = self.engine.lookup_address(address[0]) if address else None
        if verdict is not None and verdict.blocked:
            reason = f"blocked: TLS without SNI to listed address {destination} ({verdict.rule})"
            refuse(data, TlsDecision("refuse", reason, category=verdict.category))
            self.counters.count(NO_SNI_BLOCKED, verdict.category)
            logger.info("%s, %s: %s", reason, verdict.category, verdict.source)
        elif verdict is not None and verdict.listed is not None:
            reason = f"allowed: TLS without SNI to excepted address {destination}"
            pass_through(data, TlsDecision("pass", reason, category=verdict.category))
            self.counters.count(NO_SNI_ALLOWED)
        elif self.policy == "block":
            reason = f"blocked: TLS without SNI to {destination} (no_sni_policy=block)"
            refuse(data, TlsDecision("refuse", reason))
            self.counters.count(NO_SNI_BLOCKED)
            logger.info("%s", reason)
        else:
            pass_through(data, TlsDecision("pass", f"allowed: TLS without SNI to {destination}"))
            self.counters.count(NO_SNI_ALLOWED)
