"""The portal over real sockets: cheroot on an ephemeral port, http and https."""

from __future__ import annotations

import http.client
import json
import re
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

import pytest

from gateway.demo.certificates import self_signed_certificate
from gateway.portal.app import create_portal_app
from gateway.portal.server import PortalServer, parse_listen, serve_portal
from gateway.portal.sessions import PortalAdmission
from gateway.portal.settings import PortalSettings
from gateway.portal.stats import PortalStats
from tests.gateway.portal.conftest import SECRET, blocked_category
from tests.gateway.portal.memory_sessions import MemorySessions

HOST = "portal.test.internal"
SETTINGS = PortalSettings(host_name=HOST, lan_address="127.0.0.1", https=True, capacity=200)
ADMIT_SECONDS = 0.05  # what SQLite and nft cost one Connect, roughly


class SlowSessions(MemorySessions):
    """Admission that takes as long as the real store and firewall do."""

    def admit(self, ip: str) -> PortalAdmission:
        time.sleep(ADMIT_SECONDS)
        return super().admit(ip)


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A throwaway self-signed certificate for HOST."""
    return self_signed_certificate(tmp_path_factory.mktemp("tls"), [HOST])


# One server of each kind for the module: stopping one takes cheroot up to half a second.
@pytest.fixture(scope="module")
def sessions() -> SlowSessions:
    return SlowSessions(capacity=200)


@pytest.fixture(scope="module")
def stats() -> PortalStats:
    return PortalStats()


@pytest.fixture(autouse=True)
def nobody_online(sessions: SlowSessions) -> None:
    sessions.admitted.clear()
    sessions.admit_calls = 0


@pytest.fixture(scope="module")
def http_server(sessions: SlowSessions, stats: PortalStats) -> Iterator[PortalServer]:
    app = create_portal_app(SETTINGS, sessions, stats, blocked_category, SECRET)
    server = serve_portal(app, "127.0.0.1:0", None)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def https_server(
    sessions: SlowSessions, stats: PortalStats, certificate: tuple[Path, Path]
) -> Iterator[PortalServer]:
    app = create_portal_app(SETTINGS, sessions, stats, blocked_category, SECRET)
    server = serve_portal(app, "127.0.0.1:0", certificate)
    yield server
    server.stop()


def request(
    port: int,
    method: str,
    path: str,
    host: str,
    body: str | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, dict[str, str], bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        all_headers = {"Host": host, **(headers or {})}
        if body is not None:
            all_headers["Content-Type"] = "application/x-www-form-urlencoded"
        conn.request(method, path, body=body, headers=all_headers)
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()


@pytest.mark.parametrize(
    ("host", "path"),
    [
        ("connectivitycheck.gstatic.com", "/generate_204"),
        ("clients3.google.com", "/generate_204"),
        ("captive.apple.com", "/hotspot-detect.html"),
        ("www.msftconnecttest.com", "/connecttest.txt"),
        ("detectportal.firefox.com", "/success.txt"),
        ("connectivitycheck.platform.hicloud.com", "/generate_204"),
        ("detik.com", "/"),
    ],
)
def test_probes_over_http_are_redirected_to_the_splash(
    http_server: PortalServer, host: str, path: str
) -> None:
    status, headers, body = request(http_server.bound_port, "GET", path, host)
    assert status == 302
    expected = f"http://{HOST}/?" + urlencode({"dst": f"http://{host}{path}"})
    assert headers["Location"] == expected
    assert body
    assert headers["Cache-Control"] == "no-store"


def test_the_whole_flow_over_http(
    http_server: PortalServer, sessions: SlowSessions, stats: PortalStats
) -> None:
    port = http_server.bound_port
    dst = "http://connectivitycheck.gstatic.com/generate_204"
    converted = stats.snapshot()["splash_then_online"]
    status, headers, body = request(port, "GET", "/generate_204", "connectivitycheck.gstatic.com")
    location = headers["Location"].removeprefix(f"http://{HOST}")
    status, headers, body = request(port, "GET", location, HOST)
    assert status == 200
    html = body.decode()
    assert "Sambungkan" in html
    match = re.search(r'name="csrf" value="([^"]+)"', html)
    assert match
    form = urlencode({"csrf": match.group(1), "dst": dst})
    status, headers, _ = request(port, "POST", "/connect", HOST, body=form)
    assert status == 303
    assert headers["Location"] == dst
    assert sessions.is_admitted("127.0.0.1")
    assert stats.snapshot()["splash_then_online"] == converted + 1
    # Online now: the portal's name shows the connected page. A request for another site that
    # still reaches us (a connection from the captive moment) is sent round on a new one.
    assert "Anda sudah tersambung" in request(port, "GET", "/", HOST)[2].decode()
    status, headers, _ = request(port, "GET", "/", "detik.com")
    assert status == 307 and headers["Location"] == "http://detik.com/"
    assert headers["Connection"] == "close"


def test_a_hundred_phones_pressing_connect_at_once(
    http_server: PortalServer, sessions: SlowSessions
) -> None:
    port = http_server.bound_port
    html = request(port, "GET", "/", HOST)[2].decode()
    match = re.search(r'name="csrf" value="([^"]+)"', html)
    assert match
    form = urlencode({"csrf": match.group(1)})
    statuses: list[int] = []
    lock = threading.Lock()

    def press() -> None:
        status = request(port, "POST", "/connect", HOST, body=form)[0]
        with lock:
            statuses.append(status)

    threads = [threading.Thread(target=press) for _ in range(100)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    assert statuses == [303] * 100
    assert sessions.admit_calls == 100
    # One worker would need 100 x ADMIT_SECONDS = 5 s; the pool answers them side by side.
    assert elapsed < 2.5, elapsed


def test_the_api_is_not_served_over_http(http_server: PortalServer) -> None:
    assert request(http_server.bound_port, "GET", "/api/captive", HOST)[0] == 404


class _PinnedHTTPS(http.client.HTTPSConnection):
    """HTTPS to 127.0.0.1 while verifying the certificate for the portal's host name."""

    def connect(self) -> None:
        sock = socket.create_connection(("127.0.0.1", self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)  # type: ignore[attr-defined]


def fetch_api(port: int, cafile: Path) -> tuple[http.client.HTTPResponse, bytes]:
    context = ssl.create_default_context(cafile=str(cafile))
    conn = _PinnedHTTPS(HOST, port, context=context, timeout=10)
    try:
        conn.request("GET", "/api/captive")
        response = conn.getresponse()
        return response, response.read()
    finally:
        conn.close()


def test_the_captive_api_over_https(
    https_server: PortalServer, certificate: tuple[Path, Path]
) -> None:
    response, body = fetch_api(https_server.bound_port, certificate[0])
    assert response.status == 200
    assert response.getheader("Content-Type") == "application/captive+json"
    assert response.getheader("Cache-Control") == "private, no-store"
    assert response.getheader("X-Content-Type-Options") == "nosniff"
    assert json.loads(body) == {
        "captive": True,
        "user-portal-url": f"https://{HOST}/",
        "can-extend-session": False,
    }


def test_the_captive_api_over_https_once_admitted(
    https_server: PortalServer, certificate: tuple[Path, Path], sessions: SlowSessions
) -> None:
    sessions.admit("127.0.0.1")
    body = json.loads(fetch_api(https_server.bound_port, certificate[0])[1])
    assert body["captive"] is False
    assert body["seconds-remaining"] > 0


def test_https_refuses_a_client_that_does_not_trust_the_certificate(
    https_server: PortalServer,
) -> None:
    conn = _PinnedHTTPS(HOST, https_server.bound_port, context=ssl.create_default_context())
    try:
        with pytest.raises(ssl.SSLCertVerificationError):
            conn.request("GET", "/api/captive")
    finally:
        conn.close()


def test_stop_closes_the_port() -> None:
    app = create_portal_app(SETTINGS, MemorySessions(), PortalStats(), blocked_category, SECRET)
    server = serve_portal(app, "127.0.0.1:0", None)
    port = server.bound_port
    assert request(port, "GET", "/", HOST)[0] == 200
    server.stop()
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=2).close()


def test_a_port_in_use_fails_in_the_caller(http_server: PortalServer) -> None:
    app = create_portal_app(SETTINGS, MemorySessions(), PortalStats(), blocked_category, SECRET)
    with pytest.raises(OSError):
        serve_portal(app, f"127.0.0.1:{http_server.bound_port}", None)


def test_parse_listen() -> None:
    assert parse_listen("10.77.0.1:80") == ("10.77.0.1", 80)
    assert parse_listen("[::]:8080") == ("::", 8080)
    for bad in ("10.77.0.1", ":80", "host:http"):
        with pytest.raises(ValueError):
            parse_listen(bad)
