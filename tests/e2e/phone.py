"""What a phone does, run inside a client namespace: `python -m tests.e2e.phone ACTION ...`.

Each action prints one JSON object, so the test reads exactly what the phone saw. Requests
never follow redirects by themselves: the test checks each step a phone's browser would take.
Sources can be any of the namespace's addresses (`--source`), so one namespace plays many phones.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import socket
import ssl
import struct
import sys
import threading
import time
import urllib.parse
from typing import Any

import dns.exception
import dns.message
import dns.query
import dns.rcode

from gateway.demo.phone import TIMEOUT, http_get, press_connect


def resolve(name: str, server: str) -> dict[str, Any]:
    """Ask `server` for A records of `name` over UDP, as a phone's stub resolver does."""
    reply = dns.query.udp(dns.message.make_query(name, "A"), server, timeout=TIMEOUT)
    addresses = [rr.address for rrset in reply.answer for rr in rrset if rrset.rdtype == 1]
    return {"rcode": dns.rcode.to_text(reply.rcode()), "addresses": addresses}


def race(portal: str, sources: list[str]) -> dict[str, Any]:
    """Every source presses Connect at the same moment; what each got.

    Generous timeouts: the phones here share two cores with the gateway, so this checks who
    gets in, not how fast (bench/portal_bench.py measures that).
    """
    global TIMEOUT
    TIMEOUT = 60.0
    barrier = threading.Barrier(len(sources))
    results: dict[str, Any] = {}

    def phone(source: str) -> None:
        try:
            results[source] = press_connect(portal, source, barrier=barrier)
        except Exception as exc:  # reported, not raised: the test counts the outcomes
            results[source] = {"status": 0, "error": repr(exc)}

    threads = [threading.Thread(target=phone, args=(s,)) for s in sources]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def captive_api(url: str, cafile: str) -> dict[str, Any]:
    """The RFC 8908 API over https, trusting only `cafile`, as a phone trusts a real CA."""
    parts = urllib.parse.urlsplit(url)
    context = ssl.create_default_context(cafile=cafile)
    conn = http.client.HTTPSConnection(parts.hostname or "", parts.port or 443, timeout=TIMEOUT,
                                       context=context)  # fmt: skip
    conn.request("GET", parts.path, headers={"Accept": "application/captive+json"})
    response = conn.getresponse()
    body = response.read()
    conn.close()
    return {"status": response.status, "content_type": response.getheader("Content-Type"),
            "json": json.loads(body) if response.status == 200 else None}  # fmt: skip


def tls_to(address: str, server_name: str) -> dict[str, Any]:
    """A TLS handshake with `address`:443 naming `server_name`, then GET /: what came back.

    The address is used as given (no DNS): as a phone with a hard-coded address would.
    """
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE  # the fake internet's throwaway certificate
    request = f"GET / HTTP/1.1\r\nHost: {server_name}\r\nConnection: close\r\n\r\n"
    try:
        with (
            socket.create_connection((address, 443), timeout=TIMEOUT) as raw,
            context.wrap_socket(raw, server_hostname=server_name) as tls,
        ):
            certificate = tls.getpeercert(binary_form=True)
            tls.sendall(request.encode())
            reply = b""
            while chunk := tls.recv(65536):
                reply += chunk
        return {"handshake": True, "certificate": bool(certificate),
                "reply": reply.decode(errors="replace")[:2000]}  # fmt: skip
    except (OSError, ssl.SSLError) as exc:
        return {"handshake": False, "error": repr(exc)}


def tls_in_pieces(address: str, server_name: str, piece: int) -> dict[str, Any]:
    """A TLS handshake whose ClientHello goes out `piece` bytes at a time (0: garbage instead)."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    tls = context.wrap_bio(incoming, outgoing, server_hostname=server_name)
    with socket.create_connection((address, 443), timeout=TIMEOUT) as sock:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with contextlib.suppress(ssl.SSLWantReadError):
            tls.do_handshake()
        hello = outgoing.read() if piece else b"\x16\x03\x01garbage, not a ClientHello" * 40
        for start in range(0, len(hello), piece or len(hello)):
            sock.sendall(hello[start : start + (piece or len(hello))])
            time.sleep(0.002)  # each piece its own segment
        try:
            for _ in range(100):  # bounded: a handshake is a few round trips
                try:
                    tls.do_handshake()
                    return {"handshake": True, "hello_bytes": len(hello)}
                except ssl.SSLWantReadError:
                    data = sock.recv(65536)
                    if not data:
                        return {"handshake": False, "error": "closed"}
                    incoming.write(data)
                    if pending := outgoing.read():
                        sock.sendall(pending)
        except (OSError, ssl.SSLError) as exc:
            return {"handshake": False, "error": repr(exc)}
    return {"handshake": False, "error": "no end"}


def client_hello(server_name: str) -> bytes:
    """The bytes of a real ClientHello for `server_name`."""
    context = ssl.create_default_context()
    tls = context.wrap_bio(
        ssl.MemoryBIO(), outgoing := ssl.MemoryBIO(), server_hostname=server_name
    )
    with contextlib.suppress(ssl.SSLWantReadError):
        tls.do_handshake()
    return outgoing.read()


RECORD = 16 * 1024  # the largest TLS record: how a client would send a huge ClientHello


def huge_client_hello_records(total: int) -> list[bytes]:
    """Handshake records of a ClientHello that declares 4 MB and brings `total` bytes of it."""
    body = b"\x01" + struct.pack("!I", 4 << 20)[1:] + b"\x03\x03" + bytes(total)
    return [
        b"\x16\x03\x01" + struct.pack("!H", len(part)) + part
        for part in (body[i : i + RECORD] for i in range(0, len(body), RECORD))
    ]


def sent_before_close(sock: socket.socket, records: list[bytes]) -> int:
    """Bytes sent before the proxy closed the connection (all of them if it never did)."""
    sent = 0
    sock.settimeout(0.05)
    for record in records:
        try:
            sock.sendall(record)
            if sock.recv(1) == b"":
                return sent
        except (TimeoutError, BlockingIOError):
            pass  # nothing to read: the proxy is still waiting for more
        except (ConnectionResetError, BrokenPipeError):
            return sent
        sent += len(record)
    return sent


def huge_hello(address: str, kilobytes: int) -> dict[str, Any]:
    """Send a ClientHello that declares 4 MiB, up to `kilobytes` of it; bytes sent until closed."""
    with socket.create_connection((address, 443), timeout=TIMEOUT) as sock:
        sent = sent_before_close(sock, huge_client_hello_records(kilobytes * 1024))
    return {"sent": sent, "closed": sent < kilobytes * 1024}


def hold_silent(address: str, port: int, trickle: bool, limit: float = 30.0) -> dict[str, Any]:
    """Connect and send nothing (or a ClientHello a byte each half second); seconds till closed."""
    hello = client_hello("example.test") if trickle else b""
    started = time.monotonic()
    with socket.create_connection((address, port), timeout=TIMEOUT) as sock:
        sock.settimeout(0.5)
        while time.monotonic() - started < limit:
            try:
                if hello:  # a real ClientHello, one byte at a time
                    sock.send(hello[:1])
                    hello = hello[1:]
                if sock.recv(1024) == b"":
                    break
            except TimeoutError:
                continue
            except OSError:  # a reset, or a send into a closed connection
                break
        else:
            return {"closed_after": None}
    return {"closed_after": round(time.monotonic() - started, 1)}


def keep_resolving(name: str, server: str, seconds: float) -> dict[str, Any]:
    """Ask for `name` back to back for `seconds`; how many got an answer and how many did not."""
    answered = failed = 0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            reply = dns.query.udp(dns.message.make_query(name, "A"), server, timeout=1.0)
            answered += reply.rcode() == dns.rcode.NOERROR
            failed += reply.rcode() != dns.rcode.NOERROR
        except dns.exception.Timeout:
            failed += 1
        time.sleep(0.005)
    return {"answered": answered, "failed": failed}


def download(url: str, connections: int, seconds: float) -> dict[str, Any]:
    """Bytes received in `seconds` over `connections` parallel downloads of `url`."""
    parts = urllib.parse.urlsplit(url)
    host = socket.gethostbyname(parts.hostname or "")
    received = [0] * connections
    deadline = time.monotonic() + seconds

    def one(slot: int) -> None:
        with socket.create_connection((host, parts.port or 80), timeout=TIMEOUT) as sock:
            sock.sendall(f"GET {parts.path} HTTP/1.1\r\nHost: {parts.netloc}\r\n\r\n".encode())
            while time.monotonic() < deadline:
                data = sock.recv(65536)
                if not data:
                    return
                received[slot] += len(data)

    threads = [threading.Thread(target=one, args=(n,)) for n in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=seconds + 30)
    return {"bytes": sum(received)}


def try_tcp(host: str, port: int, source: str | None = None) -> str:
    """connected, refused (a reset), unreachable (ICMP) or timeout."""
    try:
        with socket.create_connection((host, port), timeout=TIMEOUT,
                                      source_address=(source, 0) if source else None):  # fmt: skip
            return "connected"
    except ConnectionRefusedError:
        return "refused"
    except TimeoutError:
        return "timeout"
    except OSError as exc:
        return f"unreachable: {exc.strerror}"


def try_udp(host: str, port: int) -> str:
    """What a UDP exchange gets: an answer, an ICMP error (refused/unreachable) or a timeout."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(2.0)
        sock.connect((host, port))
        try:
            sock.send(b"\x00" * 32)
            sock.recv(2048)
            return "answered"
        except ConnectionRefusedError:
            return "refused"
        except TimeoutError:
            return "timeout"
        except OSError as exc:
            return f"unreachable: {exc.strerror}"


def main() -> None:
    """Parse the action and print its result as JSON."""
    parser = argparse.ArgumentParser()
    actions = ["resolve", "get", "connect", "race", "tcp", "udp", "download", "keep-resolving",
               "captive-api", "tls", "tls-pieces", "tls-huge", "silent"]  # fmt: skip
    parser.add_argument("action", choices=actions)
    parser.add_argument("args", nargs="*")
    parser.add_argument("--source")
    parser.add_argument("--cookie", default="")
    parser.add_argument("--dst", default="")
    opts = parser.parse_args()
    a = opts.args
    result: Any
    if opts.action == "resolve":
        result = resolve(a[0], a[1])
    elif opts.action == "get":
        result = http_get(a[0], opts.source, opts.cookie, a[1] if len(a) > 1 else None)
    elif opts.action == "connect":
        result = press_connect(a[0], opts.source, opts.dst)
    elif opts.action == "race":
        result = race(a[0], a[1:])
    elif opts.action == "silent":
        result = hold_silent(a[0], int(a[1]), a[2] == "trickle")
    elif opts.action == "tls-pieces":
        result = tls_in_pieces(a[0], a[1], int(a[2]))
    elif opts.action == "tls-huge":
        result = huge_hello(a[0], int(a[1]))
    elif opts.action == "tls":
        result = tls_to(a[0], a[1])
    elif opts.action == "captive-api":
        result = captive_api(a[0], a[1])
    elif opts.action == "keep-resolving":
        result = keep_resolving(a[0], a[1], float(a[2]))
    elif opts.action == "download":
        result = download(a[0], int(a[1]), float(a[2]))
    elif opts.action == "tcp":
        result = try_tcp(a[0], int(a[1]), opts.source)
    else:
        result = try_udp(a[0], int(a[1]))
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main()
