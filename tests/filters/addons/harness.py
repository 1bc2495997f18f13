"""Real ClientHellos from Python's ssl module as hook data, and addon contexts that clean up."""

from __future__ import annotations

import contextlib
import ssl
from collections.abc import Iterator
from contextlib import contextmanager

from mitmproxy import options
from mitmproxy.proxy.context import Context
from mitmproxy.proxy.layers.tls import parse_client_hello
from mitmproxy.test import taddons, tflow
from mitmproxy.tls import ClientHello, ClientHelloData


def client_hello_bytes(server_hostname: str | None) -> bytes:
    """The TLS records a real client sends first, for a chosen name (or an IP, or none)."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    tls = context.wrap_bio(incoming, outgoing, server_hostname=server_hostname)
    # It then waits for the ServerHello; the ClientHello is written by now.
    with contextlib.suppress(ssl.SSLWantReadError):
        tls.do_handshake()
    return outgoing.read()


def client_hello(server_hostname: str | None) -> ClientHello:
    parsed = parse_client_hello(client_hello_bytes(server_hostname))
    assert parsed is not None
    return parsed


def hello_data(
    server_hostname: str | None,
    opts: options.Options,
    address: tuple[str, int] = ("192.0.2.10", 443),
) -> ClientHelloData:
    """ClientHelloData as mitmproxy's ClientTLSLayer builds it, before any server connection."""
    client = tflow.tclient_conn()
    context = Context(client, opts)
    context.server.address = address
    return ClientHelloData(context, client_hello(server_hostname))


@contextmanager
def addon_context(*addons: object) -> Iterator[taddons.context]:
    """taddons.context, closing the event loop it makes when no loop is running."""
    tctx = taddons.context(*addons)
    try:
        yield tctx
    finally:
        tctx.master.event_loop.close()
