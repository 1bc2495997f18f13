"""Serve the portal app with cheroot in a background thread, over http or https."""

from __future__ import annotations

import socket
import ssl
import threading
from pathlib import Path

from cheroot.ssl.builtin import BuiltinSSLAdapter
from cheroot.wsgi import Server
from flask import Flask

# About 100 phones may press Connect within the same second when a bus of commuters arrives;
# each admission waits on SQLite and nft, so workers, not the CPU, are the limit.
WORKER_THREADS = 48
# The listen backlog: phones whose connections arrive while every worker is busy wait here
# instead of being refused.
LISTEN_BACKLOG = 256
# Idle or slow connections are dropped after this; a phone on weak Wi-Fi is slow, not silent.
SOCKET_TIMEOUT = 10
MAX_HEADER_BYTES = 16 * 1024
MAX_BODY_BYTES = 64 * 1024


class _PortalWSGIServer(Server):
    """cheroot's WSGI server, closing the socket it made when binding fails."""

    @staticmethod
    def bind_socket(socket_: socket.socket, bind_addr: tuple[str, int]) -> socket.socket:
        """Bind, or close the socket and re-raise (cheroot itself would leak it)."""
        try:
            socket_.bind(bind_addr)
        except OSError:
            socket_.close()
            raise
        return socket_


class PortalServer:
    """A running portal listener: its port, and stop()."""

    def __init__(self, server: Server, thread: threading.Thread) -> None:
        self._server = server
        self._thread = thread

    @property
    def bound_port(self) -> int:
        """The TCP port actually listened on (useful when asked for port 0)."""
        return int(self._server.bind_addr[1])

    def stop(self) -> None:
        """Stop accepting, finish the requests in flight, and join the serving thread."""
        self._server.stop()
        self._thread.join(timeout=10)


def parse_listen(listen: str) -> tuple[str, int]:
    """Split "10.77.0.1:80" or "[::]:80" into host and port."""
    host, sep, port = listen.rpartition(":")
    if not sep or not port.isdigit() or not host:
        raise ValueError(f"expected host:port, got {listen!r}")
    return host.strip("[]"), int(port)


def _tls_adapter(cert: Path, key: Path) -> BuiltinSSLAdapter:
    adapter = BuiltinSSLAdapter(str(cert), str(key))
    adapter.context.minimum_version = ssl.TLSVersion.TLSv1_2
    return adapter


def serve_portal(app: Flask, listen: str, tls: tuple[Path, Path] | None) -> PortalServer:
    """Bind listen (port 0 picks a free port) and serve app in a thread; tls is (cert, key)."""
    host, port = parse_listen(listen)
    server = _PortalWSGIServer(
        (host, port),
        app,
        numthreads=WORKER_THREADS,
        server_name="hotspot-portal",
        request_queue_size=LISTEN_BACKLOG,
        timeout=SOCKET_TIMEOUT,
        shutdown_timeout=2,
    )
    server.max_request_header_size = MAX_HEADER_BYTES
    server.max_request_body_size = MAX_BODY_BYTES
    if tls is not None:
        server.ssl_adapter = _tls_adapter(*tls)
    # prepare() binds and starts the workers here, so a bad address fails in the caller and
    # bound_port is known before this returns.
    server.prepare()
    thread = threading.Thread(target=server.serve, name=f"portal-{listen}", daemon=True)
    thread.start()
    return PortalServer(server, thread)
