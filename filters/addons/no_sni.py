"""TLS without a server name (an IP typed by hand, or an SNI mitmproxy finds invalid): a policy."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from mitmproxy import ctx, exceptions
from mitmproxy.addonmanager import Loader
from mitmproxy.tls import ClientHelloData

from filters.addons.counters import NO_SNI_ALLOWED, NO_SNI_BLOCKED, ProxyCounters
from filters.addons.decisions import TlsDecision, is_decided, pass_through, refuse

logger = logging.getLogger(__name__)

POLICIES: Sequence[str] = ("allow", "block")


def parse_no_sni_policy(value: str) -> str:
    """The policy named by the option; ValueError for anything but allow or block."""
    policy = value.strip().lower()
    if policy not in POLICIES:
        raise ValueError(f"must be one of {', '.join(POLICIES)}, not {value!r}")
    return policy


class NoSniPolicy:
    """Passes or refuses a ClientHello that names no server, by the `no_sni_policy` option."""

    def __init__(self, counters: ProxyCounters) -> None:
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
        # The lists carry names only so far: there is no IP entry to check the address against,
        # so the address is only reported.
        if self.policy == "block":
            reason = f"blocked: TLS without SNI to {destination} (no_sni_policy=block)"
            refuse(data, TlsDecision("refuse", reason))
            self.counters.count(NO_SNI_BLOCKED)
            logger.info("%s", reason)
        else:
            pass_through(data, TlsDecision("pass", f"allowed: TLS without SNI to {destination}"))
            self.counters.count(NO_SNI_ALLOWED)
