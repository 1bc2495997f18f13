"""Phones that open many TCP connections to one address and then say nothing.

Run inside a crowd namespace: `python -m tests.e2e.idle_crowd ADDRESS PORT PER_PHONE SECONDS
SOURCE...`. It prints one JSON line once the connections are set up ({"established": n,
"failed": n, "seconds": s}) and one when it stops ({"closed_by_peer": n, "closed_after": [first,
last]}): connections the other side closed within SECONDS of the start.
"""

from __future__ import annotations

import json
import resource
import selectors
import socket
import sys
import time
from typing import Any

SETUP_LIMIT = 20.0  # seconds to set up every connection; a SYN lost twice costs 3 s


def open_idle(address: str, port: int, sources: list[str], per_source: int) -> list[socket.socket]:
    """Start a non-blocking connect from each source, `per_source` times."""
    sockets = []
    for source in sources:
        for _ in range(per_source):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.setblocking(False)
            sock.bind((source, 0))
            sock.connect_ex((address, port))
            sockets.append(sock)
    return sockets


def wait_established(sockets: list[socket.socket]) -> dict[str, Any]:
    """Wait until each connect has finished; how many succeeded."""
    started = time.monotonic()
    selector = selectors.DefaultSelector()
    for sock in sockets:
        selector.register(sock, selectors.EVENT_WRITE)
    established = failed = 0
    while selector.get_map() and time.monotonic() - started < SETUP_LIMIT:
        for key, _ in selector.select(timeout=0.5):
            sock = key.fileobj
            assert isinstance(sock, socket.socket)
            selector.unregister(sock)
            if sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0:
                established += 1
            else:
                failed += 1
    pending = len(selector.get_map())
    selector.close()
    seconds = round(time.monotonic() - started, 2)
    return {"established": established, "failed": failed, "pending": pending, "seconds": seconds}


def watch_closes(sockets: list[socket.socket], started: float, seconds: float) -> dict[str, Any]:
    """Until `seconds` after `started`: how many connections the other side closed, and when."""
    selector = selectors.DefaultSelector()
    for sock in sockets:
        selector.register(sock, selectors.EVENT_READ)
    closed: list[float] = []
    while selector.get_map() and time.monotonic() - started < seconds:
        for key, _ in selector.select(timeout=0.5):
            sock = key.fileobj
            assert isinstance(sock, socket.socket)
            try:
                data = sock.recv(1024)
            except OSError:
                data = b""  # a reset is a close too
            if not data:
                selector.unregister(sock)
                closed.append(time.monotonic() - started)
    selector.close()
    span = [round(min(closed), 1), round(max(closed), 1)] if closed else None
    return {"closed_by_peer": len(closed), "closed_after": span}


def main() -> None:
    """Open, report, hold, report."""
    address, port, per_source, seconds = (
        sys.argv[1],
        int(sys.argv[2]),
        int(sys.argv[3]),
        float(sys.argv[4]),
    )
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    started = time.monotonic()
    sockets = open_idle(address, port, sys.argv[5:], per_source)
    print(json.dumps(wait_established(sockets)), flush=True)
    print(json.dumps(watch_closes(sockets, started, seconds)), flush=True)
    for sock in sockets:
        sock.close()


if __name__ == "__main__":
    main()
