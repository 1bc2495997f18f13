"""Tiny servers and a probing client, run inside the test namespaces (stdlib only).

python endpoints.py serve NAME '{"tcp": ["10.77.0.1:8000"], "udp": [...], "bulk": [...]}'
    prints "ready" once every socket is bound; every TCP connection gets "NAME PORT PEER"
    and is closed, every UDP datagram is answered the same way, a bulk port sends
    BULK_BYTES. Exits when its stdin closes, so it never outlives the test.
python endpoints.py probe '[["tcp", "10.77.0.10", "192.0.2.2", 8080], ...]'
    prints a JSON list with one result per probe: "ok <reply>", "refused" (TCP reset or
    port unreachable), "unreachable" (ICMP admin-prohibited), "timeout" or "error <errno>".
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import socket
import struct
import sys
import threading
import time

BULK_BYTES = 256 * 1024
PROBE_TIMEOUT = 1.5  # a rejection arrives in milliseconds; this only bounds a broken case


def _endpoint(text: str) -> tuple[int, str, int]:
    host, _, port = text.rpartition(":")
    host = host.strip("[]")
    return (socket.AF_INET6 if ":" in host else socket.AF_INET), host, int(port)


def _serve_tcp(name: str, sock: socket.socket, port: int, bulk: bool) -> None:
    while True:
        conn, peer = sock.accept()
        reply = b"\0" * BULK_BYTES if bulk else f"{name} {port} {peer[0]}\n".encode()
        # A client that went away is no reason to stop serving the next one.
        with conn, contextlib.suppress(OSError):
            conn.sendall(reply)


def _serve_udp(name: str, sock: socket.socket, port: int) -> None:
    while True:
        _, peer = sock.recvfrom(2048)
        sock.sendto(f"{name} {port} {peer[0]}".encode(), peer)


def serve(name: str, spec: dict[str, list[str]]) -> None:
    threads = []
    for kind, endpoints in spec.items():
        for text in endpoints:
            family, host, port = _endpoint(text)
            stream = kind in ("tcp", "bulk")
            sock = socket.socket(family, socket.SOCK_STREAM if stream else socket.SOCK_DGRAM)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if family == socket.AF_INET6:
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            sock.bind((host, port))
            if stream:
                sock.listen(64)
                args: tuple[object, ...] = (name, sock, port, kind == "bulk")
                threads.append(threading.Thread(target=_serve_tcp, args=args, daemon=True))
            else:
                threads.append(
                    threading.Thread(target=_serve_udp, args=(name, sock, port), daemon=True)
                )
    for thread in threads:
        thread.start()
    print("ready", flush=True)
    sys.stdin.read()  # until the test closes our stdin (or dies)
    os._exit(0)


def _failure(exc: BaseException) -> str:
    if isinstance(exc, ConnectionRefusedError):
        return "refused"
    if isinstance(exc, TimeoutError):
        return "timeout"
    if isinstance(exc, OSError) and exc.errno in (errno.EHOSTUNREACH, errno.EACCES):
        return "unreachable"  # ICMP(v6) administratively prohibited
    if isinstance(exc, OSError) and exc.errno is not None:
        return f"error {errno.errorcode.get(exc.errno, exc.errno)}"
    return f"error {exc!r}"


def probe_tcp(src: str, dst: str, port: int, bulk: bool) -> str:
    family = socket.AF_INET6 if ":" in dst else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.settimeout(PROBE_TIMEOUT)
        sock.bind((src, 0))
        try:
            sock.connect((dst, port))
            data = b""
            while chunk := sock.recv(65536):
                data += chunk
        except OSError as exc:
            return _failure(exc)
    return f"ok {len(data)}" if bulk else f"ok {data.decode().strip()}"


def probe_udp(src: str, dst: str, port: int) -> str:
    family = socket.AF_INET6 if ":" in dst else socket.AF_INET
    with socket.socket(family, socket.SOCK_DGRAM) as sock:
        sock.settimeout(PROBE_TIMEOUT)
        sock.bind((src, 0))
        try:
            sock.connect((dst, port))
            sock.send(b"ping")
            return f"ok {sock.recv(2048).decode()}"
        except OSError as exc:
            return _failure(exc)


def _checksum(data: bytes) -> int:
    total = int(sum(struct.unpack(f"!{len(data) // 2}H", data)))
    total = (total >> 16) + (total & 0xFFFF)
    return ~(total + (total >> 16)) & 0xFFFF


def probe_ping(src: str, dst: str) -> str:
    """One ICMP echo over a raw socket (IPv4): "ok echo" when the reply comes back."""
    with socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP) as sock:
        sock.bind((src, 0))
        ident = os.getpid() & 0xFFFF
        header = struct.pack("!BBHHH", 8, 0, 0, ident, 1) + b"hotspot!"
        packet = header[:2] + struct.pack("!H", _checksum(header)) + header[4:]
        sock.sendto(packet, (dst, 0))
        deadline = time.monotonic() + PROBE_TIMEOUT
        while (left := deadline - time.monotonic()) > 0:
            sock.settimeout(left)
            try:
                reply, peer = sock.recvfrom(2048)
            except OSError as exc:
                return _failure(exc)
            icmp = reply[(reply[0] & 0x0F) * 4 :]
            if peer[0] == dst and icmp[0] == 0 and struct.unpack("!H", icmp[4:6])[0] == ident:
                return "ok echo"
    return "timeout"


def probe(specs: list[list[object]]) -> None:
    results = []
    for kind, src, dst, port in specs:
        assert isinstance(src, str) and isinstance(dst, str) and isinstance(port, int)
        if kind == "udp":
            results.append(probe_udp(src, dst, port))
        elif kind == "ping":
            results.append(probe_ping(src, dst))
        else:
            results.append(probe_tcp(src, dst, port, bulk=kind == "bulk"))
    print(json.dumps(results))


if __name__ == "__main__":
    if sys.argv[1] == "serve":
        serve(sys.argv[2], json.loads(sys.argv[3]))
    else:
        probe(json.loads(sys.argv[2]))
