"""A real mitmproxy in a thread and a real TLS server, both on 127.0.0.1 ephemeral ports."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import ssl
import threading
from pathlib import Path
from types import TracebackType
from typing import Any

from mitmproxy import addons as mitm_addons
from mitmproxy import ctx, master, options
from mitmproxy.addons.next_layer import NextLayer
from mitmproxy.proxy.server_hooks import ServerConnectionHookData
from mitmproxy.tls import TlsData

from gateway.demo.certificates import self_signed_certificate

GREETING = b"hello from upstream\n"
TIMEOUT = 10.0


def make_certificate(directory: Path, names: list[str]) -> tuple[Path, Path]:
    """A self-signed certificate for the names (cert, key)."""
    return self_signed_certificate(directory, names)


class TlsServer:
    """Accepts on 127.0.0.1, counts every TCP connection, greets each over TLS and closes."""

    def __init__(self, cert: Path, key: Path) -> None:
        self.context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self.context.load_cert_chain(cert, key)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.1)
        self.port: int = self.listener.getsockname()[1]
        self.accepted = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.listener.accept()
            except TimeoutError:
                continue
            self.accepted += 1
            with conn, contextlib.suppress(OSError):
                conn.settimeout(TIMEOUT)
                with self.context.wrap_socket(conn, server_side=True) as tls:
                    tls.sendall(GREETING)

    def __enter__(self) -> TlsServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(TIMEOUT)
        self.listener.close()


class HookSpy:
    """Records the hooks that show whether mitmproxy made a certificate or tried the server."""

    def __init__(self) -> None:
        self.tls_start_client = 0
        self.server_connect_errors: list[str | None] = []

    def tls_start_client(self, data: TlsData) -> None:
        self.tls_start_client += 1  # the hook where tlsconfig makes the proxy's certificate

    def server_connect(self, data: ServerConnectionHookData) -> None:
        # Runs after the filtering addons' decision and before mitmproxy would connect.
        self.server_connect_errors.append(data.server.error)


class _Ready:
    """Learns the port mitmproxy listens on, once its servers are up."""

    def __init__(self, owner: ProxyThread) -> None:
        self.owner = owner

    def running(self) -> None:
        proxyserver: Any = ctx.master.addons.get("proxyserver")
        self.owner.port = proxyserver.listen_addrs()[0][1]
        self.owner.ready.set()


def with_mitmproxy_defaults(addons: list[object]) -> list[object]:
    """mitmproxy's default addons, then `addons`; a NextLayer among `addons` takes the place of
    mitmproxy's own (two addons of one name cannot be loaded)."""
    replacement = next((a for a in addons if isinstance(a, NextLayer)), None)
    if replacement is None:
        return [*mitm_addons.default_addons(), *addons]
    defaults = [
        replacement if isinstance(a, NextLayer) else a for a in mitm_addons.default_addons()
    ]
    return [*defaults, *(a for a in addons if a is not replacement)]


class ProxyThread:
    """mitmproxy in regular mode on 127.0.0.1, with the given addons after its defaults."""

    def __init__(self, addons: list[object], confdir: Path, **opts: Any) -> None:
        self.addons = addons
        self.confdir = confdir
        self.opts = opts
        self.port = 0
        self.ready = threading.Event()
        self.master: master.Master | None = None
        self.error: BaseException | None = None
        self._thread = threading.Thread(target=self._main, daemon=True)

    def _main(self) -> None:
        try:
            asyncio.run(self._serve())
        except BaseException as e:  # reported to the test, which would otherwise only time out
            self.error = e
            self.ready.set()

    async def _serve(self) -> None:
        opts = options.Options()
        self.master = master.Master(opts)
        self.master.addons.add(*with_mitmproxy_defaults(self.addons), _Ready(self))
        opts.update(
            mode=["regular@127.0.0.1:0"],
            confdir=str(self.confdir),
            connection_strategy="lazy",
            **self.opts,
        )
        try:
            await self.master.run()
        finally:
            # mitmproxy leaves its listeners open after shutdown; a test must not.
            proxyserver: Any = self.master.addons.get("proxyserver")
            await proxyserver.servers.update([])

    def __enter__(self) -> ProxyThread:
        self._thread.start()
        if not self.ready.wait(TIMEOUT) or self.error is not None:
            raise RuntimeError(f"mitmproxy did not start: {self.error!r}")
        return self

    def __exit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self.master is not None:
            self.master.shutdown()
        self._thread.join(TIMEOUT)


def open_tunnel(proxy_port: int, target_port: int) -> socket.socket:
    """A TCP connection through the proxy's CONNECT to 127.0.0.1:target_port."""
    sock = socket.create_connection(("127.0.0.1", proxy_port), timeout=TIMEOUT)
    target = f"127.0.0.1:{target_port}"
    sock.sendall(f"CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n\r\n".encode())
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = sock.recv(4096)
        if not chunk:
            raise ConnectionError(f"proxy closed during CONNECT: {head!r}")
        head += chunk
    assert head.startswith(b"HTTP/1.1 200"), head
    return sock


def read_until_closed(sock: socket.socket) -> bytes:
    """Everything the peer sends until it closes (a reset counts as closed)."""
    received = b""
    with contextlib.suppress(ConnectionResetError):
        while chunk := sock.recv(65536):
            received += chunk
    return received
