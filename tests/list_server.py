"""A real HTTP server on loopback that publishes lists the way list publishers do.

It honours If-None-Match and If-Modified-Since, and can be told to fail, cut a body short or
stall, so the updater is tested against real sockets, never mocks.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Published:
    """One list as the server publishes it, and how it should misbehave."""

    body: bytes
    fail_times: int = 0  # answer 500 this many times first
    status: int = 200  # a fixed error status (e.g. 404) instead of the body
    truncate_to: int | None = None  # send only this many bytes of a longer Content-Length
    stall: float = 0.0  # wait this long before answering (a publisher that hangs)
    modified: float = 1_700_000_000.0

    @property
    def etag(self) -> str:
        return '"' + hashlib.sha256(self.body).hexdigest()[:16] + '"'


@dataclass
class ListServer:
    """Paths to published lists, plus a log of (path, status) for every request served."""

    lists: dict[str, Published] = field(default_factory=dict)
    log: list[tuple[str, int]] = field(default_factory=list)
    port: int = 0

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def statuses(self, path: str) -> list[int]:
        return [status for p, status in self.log if p == path]


def _handler(server_state: ListServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

        def _reply(self, status: int, body: bytes = b"", headers: dict[str, str] | None = None):
            server_state.log.append((self.path, status))
            self.send_response(status)
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            if "Content-Length" not in (headers or {}):
                self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            published = server_state.lists.get(self.path)
            if published is not None and published.stall:
                time.sleep(published.stall)
            if published is None:
                self._reply(404)
                return
            if published.fail_times > 0:
                published.fail_times -= 1
                self._reply(500, b"try later")
                return
            if published.status != 200:
                self._reply(published.status)
                return
            last_modified = formatdate(published.modified, usegmt=True)
            if self.headers.get("If-None-Match") == published.etag or (
                self.headers.get("If-Modified-Since") == last_modified
            ):
                self._reply(304)
                return
            headers = {"ETag": published.etag, "Last-Modified": last_modified}
            body = published.body
            if published.truncate_to is not None:
                headers["Content-Length"] = str(len(body))
                body = body[: published.truncate_to]
                self.close_connection = True
            self._reply(200, body, headers)

    return Handler


@contextmanager
def serve_lists() -> Iterator[ListServer]:
    """Run a ListServer on an ephemeral loopback port for the duration of the block."""
    state = ListServer()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    state.port = httpd.server_address[1]
    with serving(httpd):
        yield state


@contextmanager
def serving(httpd: ThreadingHTTPServer) -> Iterator[None]:
    """Serve `httpd` in a thread for the duration of the block, then stop and close it."""
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)
