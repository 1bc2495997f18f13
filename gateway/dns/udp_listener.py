"""The UDP listener: datagrams in and out in batches, answered by the server's fast path first.

asyncio's datagram transport makes one recvfrom, one sendto and one callback per query; at
the rates a busy hotspot and the benchmark reach, that cost more than answering. This listener
waits for the socket with the event loop, then moves up to 64 datagrams per system call each way
(recvmmsg and sendmmsg). When the Front answers in C, the event loop calls the C callback of
`_udp_lane` directly, which answers the common queries with no Python frame and hands the
rest to `_answer_rest`; otherwise `_on_readable` (with `_datagrams`) does the same in Python.
Queries that need the resolver chain are answered by a task and sent alone when ready.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import Callable, Coroutine
from typing import Any, Protocol

from gateway.dns import _datagrams
from gateway.dns.front import Admission

BATCHES_PER_WAKEUP = 16  # then back to the loop, so TCP clients and slow answers get their turn
BATCH = 64  # what _datagrams.receive returns at most
# Room for a burst (every phone reconnecting at once) while the process is busy: the kernel's
# default of ~200 KB holds only a few hundred queries.
RECEIVE_BUFFER = 4 << 20
SO_RCVBUFFORCE = getattr(socket, "SO_RCVBUFFORCE", 33)  # Linux's number; Python 3.11 lacks the name


class _Answering(Protocol):
    def udp_lane(self, fd: int, rest: Callable[[list[Any]], None]) -> Callable[[], None] | None: ...

    def answer_now(self, wire: bytes, client: str, charged: bool) -> bytes | Admission | None: ...

    def reply_later(
        self, wire: bytes, address: Any, admission: Admission, send: Callable[[bytes, Any], None]
    ) -> Coroutine[Any, Any, None]: ...

    def spawn(self, coro: Coroutine[Any, Any, None]) -> None: ...


def bind_udp(host: str, port: int) -> socket.socket:
    """A non-blocking UDP socket on (host, port), shareable by several worker processes."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_DGRAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        _enlarge_receive_buffer(sock)
        if family == socket.AF_INET6:
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        sock.bind((host, port))
        sock.setblocking(False)
    except OSError:
        sock.close()
        raise
    return sock


def _enlarge_receive_buffer(sock: socket.socket) -> None:
    # SO_RCVBUFFORCE passes net.core.rmem_max when we are root (as unbound's so-rcvbuf does).
    try:
        sock.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, RECEIVE_BUFFER)
    except OSError:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RECEIVE_BUFFER)


class UdpListener:
    """One UDP socket read and written in batches on behalf of a server."""

    def __init__(self, server: _Answering, sock: socket.socket) -> None:
        self.server = server
        self.sock = sock
        self._fd = sock.fileno()
        self._loop = asyncio.get_running_loop()
        lane = server.udp_lane(self._fd, self._answer_rest)  # C, when the Front answers fast
        self._loop.add_reader(self._fd, lane if lane is not None else self._on_readable)

    def sockname(self) -> tuple[str, int]:
        """The bound address and port."""
        name = self.sock.getsockname()
        return str(name[0]), int(name[1])

    def close(self) -> None:
        """Stop reading and close the socket."""
        with contextlib.suppress(ValueError, OSError):  # already closed
            self._loop.remove_reader(self._fd)
        self.sock.close()

    def send_one(self, wire: bytes, address: Any) -> None:
        """Send one reply; a full buffer or a vanished client costs that reply only, like UDP."""
        with contextlib.suppress(OSError):
            self.sock.sendto(wire, address)

    def _on_readable(self) -> None:
        for _ in range(BATCHES_PER_WAKEUP):
            try:
                received = _datagrams.receive(self._fd)
            except OSError:
                return  # e.g. an ICMP error queued on the socket: it is consumed; read on later
            replies: list[tuple[bytes, Any]] = []
            for wire, address in received:
                self._answer_slowly(wire, address, replies, False)
            if replies:
                _datagrams.send(self._fd, replies)
            if len(received) < BATCH:
                return

    def _answer_rest(self, rest: list[tuple[bytes, Any, bool]]) -> None:
        """What the C callback left: each through the Front (`charged`: token already taken)."""
        replies: list[tuple[bytes, Any]] = []
        for wire, address, charged in rest:
            self._answer_slowly(wire, address, replies, charged)
        if replies:
            _datagrams.send(self._fd, replies)

    def _answer_slowly(
        self, wire: bytes, address: Any, replies: list[tuple[bytes, Any]], charged: bool
    ) -> None:
        now = self.server.answer_now(wire, address[0], charged)
        if isinstance(now, bytes):
            replies.append((now, address))
        elif isinstance(now, Admission):
            self.server.spawn(self.server.reply_later(wire, address, now, self.send_one))
