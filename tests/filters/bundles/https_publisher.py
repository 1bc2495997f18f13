"""A real https server on loopback serving the directory `blocklist publish` wrote.

Its certificate is self-signed for "localhost" (gateway/demo/certificates.py); gateways trust it
through the CA-file option, as a city with its own CA would. It can cut a file short after
promising all of it, as a dropped connection on a thin uplink does.
"""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from gateway.demo.certificates import self_signed_certificate
from tests.list_server import serving


@dataclass
class HttpsPublisher:
    """Where the publisher is, the CA that signs its certificate, and what it was asked for."""

    root: Path
    ca: Path
    port: int = 0
    cut_short: dict[str, int] = field(default_factory=dict)  # file name -> bytes sent
    requests: list[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"https://localhost:{self.port}/fleet/"

    def tls(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.ca))


def _handler(state: HttpsPublisher) -> Any:
    class Handler(SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

        def translate_path(self, path: str) -> str:
            return str(state.root / path.removeprefix("/fleet/").split("?")[0])

        def do_GET(self) -> None:
            name = self.path.removeprefix("/fleet/")
            state.requests.append(name)
            if name not in state.cut_short:
                super().do_GET()
                return
            body = (state.root / name).read_bytes()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body[: state.cut_short[name]])
            self.close_connection = True

    return partial(Handler, directory=str(state.root))


@contextmanager
def serve_publisher(root: Path, cert_dir: Path) -> Iterator[HttpsPublisher]:
    """Serve `root` over https on an ephemeral loopback port for the duration of the block."""
    cert, key = self_signed_certificate(cert_dir, ["localhost"], stem="publisher")
    state = HttpsPublisher(root=root, ca=cert)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    state.port = httpd.server_address[1]
    with serving(httpd):
        yield state
