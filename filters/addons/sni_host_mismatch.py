"""One connection naming one server in its SNI and another in its HTTP Host: logged and counted.

Only a connection whose HTTP the proxy can read shows both, and the proxy never decrypts
residents' HTTPS, so this fires rarely (a ClientHello sent to the plain-HTTP port, or a
connection to a name the proxy terminates itself); it is there to notice domain fronting
if that ever changes.
"""

from __future__ import annotations

import logging

from mitmproxy import http

from filters.addons.counters import SNI_HOST_MISMATCH, ProxyCounters
from filters.addons.http_blocking import canonical_host

logger = logging.getLogger(__name__)


class SniHostMismatch:
    """Notes requests whose Host differs from the SNI of the connection they came on."""

    def __init__(self, counters: ProxyCounters) -> None:
        self.counters = counters

    def request(self, flow: http.HTTPFlow) -> None:
        """Compare the request's Host with its connection's SNI."""
        # No `flow.response` guard: a request answered with the block page still disagreed.
        if flow.error or not flow.live:
            return
        sni = flow.client_conn.sni
        if not sni:
            return
        sni = canonical_host(sni)
        host = canonical_host(flow.request.pretty_host)
        if not host or host == sni:
            return
        flow.metadata["hotspot_sni_host_mismatch"] = {"sni": sni, "host": host}
        self.counters.count(SNI_HOST_MISMATCH)
        logger.warning("SNI %s and HTTP Host %s disagree on one connection", sni, host)
