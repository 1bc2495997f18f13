"""A deadline for a connection's first message: a ClientHello or an HTTP request.

mitmproxy closes a connection only after ten minutes with no traffic at all, so a phone (or a
tool on it) that connects and sends nothing, or trickles a ClientHello a byte at a time, would
hold a socket and a task for that long. Past `first_message_deadline` seconds without a
ClientHello or a request, the connection is closed the way mitmproxy closes idle ones.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from mitmproxy import connection, ctx, exceptions, http
from mitmproxy.addonmanager import Loader
from mitmproxy.tls import ClientHelloData

from filters.addons.counters import FIRST_MESSAGE_LATE, ProxyCounters

logger = logging.getLogger(__name__)

DEFAULT_DEADLINE = 10.0  # seconds: a phone on a weak signal sends its ClientHello in well under


class FirstMessageDeadline:
    """Closes connections that have not sent a ClientHello or a request in time."""

    def __init__(self, counters: ProxyCounters) -> None:
        self.counters = counters
        self.deadline = DEFAULT_DEADLINE
        self._waiting: dict[str, connection.Client] = {}  # by client id, until it speaks

    def load(self, loader: Loader) -> None:
        """Declare `first_message_deadline`."""
        loader.add_option(
            "first_message_deadline",
            float,
            DEFAULT_DEADLINE,
            "Seconds a new connection may take to send its ClientHello or HTTP request.",
        )

    def configure(self, updated: set[str]) -> None:
        """Check `first_message_deadline`."""
        if "first_message_deadline" in updated:
            value = ctx.options.first_message_deadline
            if not 0 < value <= 600:
                # mitmproxy leaves its exceptions' __init__ untyped.
                raise exceptions.OptionsError(  # type: ignore[no-untyped-call]
                    f"Invalid first_message_deadline: {value!r} (seconds, above 0, at most 600)"
                )
            self.deadline = float(value)

    def client_connected(self, client: connection.Client) -> None:
        """Start the clock for a new connection."""
        self._waiting[client.id] = client
        asyncio.get_running_loop().call_later(self.deadline, self._check, client.id)

    def tls_clienthello(self, data: ClientHelloData) -> None:
        """A ClientHello arrived whole: in time."""
        self._waiting.pop(data.context.client.id, None)

    def request(self, flow: http.HTTPFlow) -> None:
        """An HTTP request arrived: in time."""
        self._waiting.pop(flow.client_conn.id, None)

    def client_disconnected(self, client: connection.Client) -> None:
        """Gone before the deadline: nothing to do."""
        self._waiting.pop(client.id, None)

    def _check(self, client_id: str) -> None:
        client = self._waiting.pop(client_id, None)
        if client is None:
            return
        handler = _handler_of(client)
        if handler is None:
            return
        self.counters.count(FIRST_MESSAGE_LATE)
        logger.info("closing %s: nothing usable within %s s", client.peername, self.deadline)
        # The handler's own inactivity path: cancels the connection's task, closes its sockets.
        asyncio.get_running_loop().create_task(handler.on_timeout())


def _handler_of(client: connection.Client) -> Any | None:
    """Mitmproxy's handler for a client connection (the proxyserver addon keeps them)."""
    proxyserver = ctx.master.addons.get("proxyserver")  # type: ignore[no-untyped-call]
    for handler in list(getattr(proxyserver, "connections", {}).values()):
        if getattr(handler, "client", None) is client:
            return handler
    return None
