"""mitmproxy's layer decision, made only once a ClientHello is whole, and never past a size cap.

mitmproxy's TLS layer keeps every byte of a ClientHello until the whole message has arrived, and
the message may declare itself up to 16 MiB long; it also parses everything buffered again on
each new segment. One phone's 256 connections could so hold gigabytes, and cost CPU that grows
with the square of each message. Real ClientHellos are 200 bytes to 2 KB (post-quantum key
shares included) and rarely reach 8 KB. So this replaces mitmproxy's NextLayer addon: while a
connection's first bytes are a TLS handshake not yet whole, no layer is chosen (mitmproxy keeps
the bytes and asks again on the next segment); past `first_message_max_bytes` the connection is
refused the way a blocked name is: closed, and the server never contacted.
"""

from __future__ import annotations

import logging

from mitmproxy import ctx, exceptions
from mitmproxy.addonmanager import Loader
from mitmproxy.addons.next_layer import NextLayer
from mitmproxy.net.tls import starts_like_tls_record
from mitmproxy.proxy import layer, layers
from mitmproxy.proxy.layers.tls import parse_client_hello

from filters.addons.counters import FIRST_MESSAGE_OVERSIZED, ProxyCounters

logger = logging.getLogger(__name__)

DEFAULT_MAX_BYTES = 32 * 1024
MIN_MAX_BYTES = 4 * 1024  # below this, real ClientHellos with many key shares would be refused
MAX_MAX_BYTES = 1 << 24  # what a ClientHello can declare


class BoundedClientHello(NextLayer):
    """NextLayer that waits for a whole ClientHello and refuses one that grows past the cap."""

    # mitmproxy finds addons by name, and the proxy server looks for "nextlayer".
    name = "nextlayer"

    def __init__(self, counters: ProxyCounters) -> None:
        super().__init__()
        self.counters = counters
        self.max_bytes = DEFAULT_MAX_BYTES

    def load(self, loader: Loader) -> None:
        """Declare `first_message_max_bytes`."""
        loader.add_option(
            "first_message_max_bytes",
            int,
            DEFAULT_MAX_BYTES,
            "Bytes a connection may send before its ClientHello is whole.",
        )

    def configure(self, updated: set[str]) -> None:
        """Check `first_message_max_bytes`; mitmproxy's own options as NextLayer does."""
        super().configure(updated)  # type: ignore[no-untyped-call]  # mitmproxy's, untyped
        if "first_message_max_bytes" in updated:
            value = ctx.options.first_message_max_bytes
            if not MIN_MAX_BYTES <= value <= MAX_MAX_BYTES:
                # mitmproxy leaves its exceptions' __init__ untyped.
                raise exceptions.OptionsError(  # type: ignore[no-untyped-call]
                    f"Invalid first_message_max_bytes: {value!r} "
                    f"(bytes, at least {MIN_MAX_BYTES}, at most {MAX_MAX_BYTES})"
                )
            self.max_bytes = int(value)

    def next_layer(self, nextlayer: layer.NextLayer) -> None:
        """Choose no layer while a ClientHello is incomplete; refuse one past the cap."""
        if nextlayer.layer is None and self._incomplete_client_hello(nextlayer):
            size = len(_client_bytes(nextlayer))
            if size <= self.max_bytes:
                return  # mitmproxy asks again when more arrives
            context = nextlayer.context
            reason = f"refused: ClientHello still incomplete after {size} bytes"
            # As refuse() does for a blocked name: a passthrough layer that finds the server
            # connection killed before connect closes the client; nothing reaches the server.
            context.server.error = reason
            nextlayer.layer = layers.TCPLayer(context, ignore=True)
            self.counters.count(FIRST_MESSAGE_OVERSIZED)
            logger.info("%s from %s", reason, context.client.peername)
            return
        super().next_layer(nextlayer)

    @staticmethod
    def _incomplete_client_hello(nextlayer: layer.NextLayer) -> bool:
        """True for TLS handshake bytes over TCP that do not yet hold a whole ClientHello."""
        data = _client_bytes(nextlayer)
        if nextlayer.context.client.transport_protocol != "tcp" or not starts_like_tls_record(data):
            return False
        try:
            return parse_client_hello(data) is None
        except ValueError:
            return False  # not a ClientHello at all: mitmproxy's TLS layer says so and closes


def _client_bytes(nextlayer: layer.NextLayer) -> bytes:
    """What the client has sent so far on a connection whose layer is still undecided."""
    data: bytes = nextlayer.data_client()  # type: ignore[no-untyped-call]  # mitmproxy's, untyped
    return data
