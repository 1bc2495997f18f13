"""The fake internet of the demo and the end-to-end tests: an authoritative DNS and web sites.

Runs inside the simulation's own "internet" namespace
(`python -m gateway.demo.fake_internet ADDRESS`): every name resolves to ADDRESS, where HTTP
(port 80) and HTTPS (port 443, a throwaway certificate) answer like the real sites do,
including the phones' connectivity probes (204 for Android, "Success" for Apple, the Windows
and Firefox texts). Names under `nx.` do not exist.
Nothing here ever reaches a real address.
"""

from __future__ import annotations

import argparse
import http.server
import socket
import socketserver
import ssl
import sys
import tempfile
import threading
from pathlib import Path

from dnslib import QTYPE, RCODE, RR, A, DNSRecord
from dnslib.server import BaseResolver, DNSLogger, DNSServer

from gateway.demo.certificates import self_signed_certificate

# What each probe expects from the real internet, by (host, path).
PROBE_ANSWERS: dict[tuple[str, str], tuple[int, bytes]] = {
    ("connectivitycheck.gstatic.com", "/generate_204"): (204, b""),
    ("clients3.google.com", "/generate_204"): (204, b""),
    ("www.google.com", "/gen_204"): (204, b""),
    ("www.google.com", "/generate_204"): (204, b""),  # Android's HTTPS probe
    ("connect.rom.miui.com", "/generate_204"): (204, b""),
    ("connectivitycheck.platform.hicloud.com", "/generate_204"): (204, b""),
    ("captive.apple.com", "/hotspot-detect.html"): (
        200, b"<HTML><HEAD><TITLE>Success</TITLE></HEAD><BODY>Success</BODY></HTML>"),
    ("www.msftconnecttest.com", "/connecttest.txt"): (200, b"Microsoft Connect Test"),
    ("www.msftncsi.com", "/ncsi.txt"): (200, b"Microsoft NCSI"),
    ("detectportal.firefox.com", "/success.txt"): (200, b"success\n"),
    ("detectportal.firefox.com", "/canonical.html"): (
        200, b'<meta http-equiv="refresh" content="0;url=https://support.mozilla.org/kb/captive-portal"/>'),
}  # fmt: skip
PAGE_TITLE = "Example Test Page"
BULK_BYTES = 1 << 30
TLS_ACCEPTED = [0]  # connections the HTTPS side accepted


class EverythingResolver(BaseResolver):  # type: ignore[misc]
    """Every name is the web server's address; `nx.*` names do not exist."""

    def __init__(self, address: str) -> None:
        self.address = address

    def resolve(self, request: DNSRecord, handler: object) -> DNSRecord:
        """The reply for one query."""
        reply = request.reply()
        name = str(request.q.qname)
        if name.startswith("nx."):
            reply.header.rcode = RCODE.NXDOMAIN
        elif request.q.qtype in (QTYPE.A, QTYPE.ANY):
            reply.add_answer(RR(name, QTYPE.A, rdata=A(self.address), ttl=60))
        return reply


class WebHandler(http.server.BaseHTTPRequestHandler):
    """The probes' expected answers, and a small page for every other host."""

    def do_GET(self) -> None:
        """Answer a GET as the real site (or probe endpoint) would."""
        host = (self.headers.get("Host") or "").split(":")[0].lower()
        path = self.path.split("?")[0]
        if path == "/bulk":  # a download that lasts: for fair-sharing tests
            self.send_bulk()
            return
        if path == "/accepted":  # how many TLS connections reached us: for the proxy's tests
            body = str(TLS_ACCEPTED[0]).encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        status, body = PROBE_ANSWERS.get((host, path), (0, b""))
        if not status:
            status = 200
            body = (f"<!doctype html><title>{PAGE_TITLE}</title>"
                    f"<h1>{PAGE_TITLE}</h1><p>host {host}</p>").encode()  # fmt: skip
        self.send_response(status)
        self.send_header("Content-Type", "text/html" if b"<" in body else "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if status != 204:
            self.wfile.write(body)

    def send_bulk(self) -> None:
        """Zeros for as long as the client reads, at most BULK_BYTES."""
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(BULK_BYTES))
        self.end_headers()
        chunk = bytes(64 * 1024)
        try:
            for _ in range(BULK_BYTES // len(chunk)):
                self.wfile.write(chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the test has measured enough

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: the test reads its own results."""


class ThreadingServer(socketserver.ThreadingMixIn, http.server.HTTPServer):
    """One thread per connection, so a stalled client does not hold up the others."""

    daemon_threads = True
    allow_reuse_address = True


class CountingTlsServer(ThreadingServer):
    """The HTTPS side; counts every TCP connection it accepts, before any handshake."""

    context: ssl.SSLContext

    def get_request(self) -> tuple[socket.socket, object]:
        """Accept, count, and wrap in TLS (the handshake happens on first read)."""
        sock, address = self.socket.accept()
        TLS_ACCEPTED[0] += 1
        # The handshake happens in the handler's thread, on first read.
        secure = self.context.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
        return secure, address


def main() -> None:
    """Serve DNS, HTTP and HTTPS on ADDRESS until killed."""
    parser = argparse.ArgumentParser()
    parser.add_argument("address")
    args = parser.parse_args()
    resolver = EverythingResolver(args.address)
    quiet = DNSLogger("-request,-reply,-truncated,-error,-recv,-send,-data")  # stdout is a pipe
    for tcp in (False, True):
        DNSServer(resolver, address=args.address, port=53, tcp=tcp, logger=quiet).start_thread()
    web = ThreadingServer((args.address, 80), WebHandler)
    threading.Thread(target=web.serve_forever, daemon=True).start()
    with tempfile.TemporaryDirectory() as tmp:
        cert, key = self_signed_certificate(Path(tmp), ["fake-internet.test"])
        secure = CountingTlsServer((args.address, 443), WebHandler)
        secure.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        secure.context.load_cert_chain(cert, key)
        threading.Thread(target=secure.serve_forever, daemon=True).start()
        print("ready", flush=True)
        sys.stdin.read()  # until the test closes our stdin (or kills us)


if __name__ == "__main__":
    main()
