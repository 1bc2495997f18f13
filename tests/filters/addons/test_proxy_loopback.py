"""End to end on loopback: real mitmproxy with the addons, a real TLS server, real clients."""

from __future__ import annotations

import ssl
import time
import warnings
from pathlib import Path

import pytest
from mitmproxy.proxy.server_hooks import ServerConnectionHookData

from filters.addons import ProxyCounters, default_addons
from filters.addons.counters import NO_SNI_BLOCKED, SNI_ALLOWED, SNI_BLOCKED
from filters.engine import BlocklistEngine
from tests.filters.addons.harness import client_hello_bytes
from tests.filters.addons.loopback import (
    GREETING,
    HookSpy,
    ProxyThread,
    TlsServer,
    make_certificate,
    open_tunnel,
    read_until_closed,
)
from tests.filters.builders import engine_for, spec

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def certificate(tmp_path: Path) -> tuple[Path, Path]:
    return make_certificate(tmp_path, ["allowed.example", "www.judi.test"])


def refused_silently(proxy: ProxyThread, server: TlsServer, sni: str | None) -> bytes:
    with open_tunnel(proxy.port, server.port) as sock:
        sock.sendall(client_hello_bytes(sni))
        return read_until_closed(sock)


def test_blocked_sni_is_closed_unanswered_and_never_reaches_the_server(
    engine: BlocklistEngine, certificate: tuple[Path, Path], tmp_path: Path
) -> None:
    counters = ProxyCounters()
    spy = HookSpy()
    addons = [*default_addons(engine, counters=counters), spy]
    with TlsServer(*certificate) as server, ProxyThread(addons, tmp_path / "mitm") as proxy:
        # Not a byte back: no ServerHello, so no certificate of any kind was presented.
        assert refused_silently(proxy, server, "www.judi.test") == b""
        # A real client sees the connection closed during its handshake.
        with open_tunnel(proxy.port, server.port) as sock:
            client = ssl.create_default_context(cafile=certificate[0])
            with pytest.raises((ssl.SSLError, ConnectionError)):
                client.wrap_socket(sock, server_hostname="www.judi.test")
        time.sleep(0.3)  # a connection that was opened would have been accepted by now
        assert server.accepted == 0
    # mitmproxy never started a handshake with the client (so never made a certificate), and
    # asked for the server connection only to find it already refused.
    assert spy.tls_start_client == 0
    assert len(spy.server_connect_errors) == 2
    assert all("blocked by SNI www.judi.test" in (e or "") for e in spy.server_connect_errors)
    assert counters.get(SNI_BLOCKED, "gambling") == 2


def test_allowed_sni_reaches_the_server_undecrypted(
    engine: BlocklistEngine, certificate: tuple[Path, Path], tmp_path: Path
) -> None:
    counters = ProxyCounters()
    spy = HookSpy()
    addons = [*default_addons(engine, counters=counters), spy]
    with (
        TlsServer(*certificate) as server,
        ProxyThread(addons, tmp_path / "mitm") as proxy,
        open_tunnel(proxy.port, server.port) as sock,
    ):
        # Verified against the test's own certificate only: the proxy's would fail here.
        client = ssl.create_default_context(cafile=certificate[0])
        with client.wrap_socket(sock, server_hostname="allowed.example") as tls:
            assert read_until_closed(tls) == GREETING
        assert server.accepted == 1
    assert spy.tls_start_client == 0
    assert spy.server_connect_errors == [None]
    assert counters.get(SNI_ALLOWED) == 1


def test_no_sni_follows_the_block_policy(
    engine: BlocklistEngine, certificate: tuple[Path, Path], tmp_path: Path
) -> None:
    counters = ProxyCounters()
    addons = default_addons(engine, counters=counters)
    with (
        TlsServer(*certificate) as server,
        ProxyThread(addons, tmp_path / "mitm", no_sni_policy="block") as proxy,
    ):
        assert refused_silently(proxy, server, "127.0.0.1") == b""  # an IP: no SNI sent
        time.sleep(0.3)
        assert server.accepted == 0
    assert counters.get(NO_SNI_BLOCKED) == 1


def test_a_listed_address_is_refused_without_sni_and_an_unlisted_one_passes(
    state_dir: Path, certificate: tuple[Path, Path], tmp_path: Path
) -> None:
    engine = engine_for(state_dir, [(spec("tp-ip", "gambling"), "127.0.0.0/31\n")])
    counters = ProxyCounters()
    addons = default_addons(engine, counters=counters)
    with TlsServer(*certificate) as server, ProxyThread(addons, tmp_path / "mitm") as proxy:
        assert refused_silently(proxy, server, None) == b""  # policy allow, address listed
        time.sleep(0.3)
        assert server.accepted == 0
        assert counters.get(NO_SNI_BLOCKED, "gambling") == 1
    unlisted = engine_for(state_dir / "other", [(spec("tp-ip", "gambling"), "10.0.0.0/8\n")])
    with (
        TlsServer(*certificate) as server,
        ProxyThread(default_addons(unlisted), tmp_path / "mitm2") as proxy,
        open_tunnel(proxy.port, server.port) as sock,
    ):
        context = ssl.create_default_context(cafile=str(certificate[0]))
        context.check_hostname = False
        with context.wrap_socket(sock) as tls:  # no server_hostname: no SNI
            assert tls.recv(100) == GREETING
        assert server.accepted == 1


class KillInServerConnect:
    """The other mechanism one might try: decrypt as usual, refuse only the upstream."""

    def server_connect(self, data: ServerConnectionHookData) -> None:
        data.server.error = "refused in server_connect"


def test_refusing_only_in_server_connect_would_present_the_proxy_certificate(
    certificate: tuple[Path, Path], tmp_path: Path
) -> None:
    # Warning filters are process-wide: this lets mitmproxy's own tlsconfig (which uses an
    # API pyOpenSSL deprecates) make its certificate in the proxy thread.
    warnings.filterwarnings("ignore", "Passing pyOpenSSL .* is deprecated", DeprecationWarning)
    with (
        TlsServer(*certificate) as server,
        ProxyThread([KillInServerConnect()], tmp_path / "mitm") as proxy,
        open_tunnel(proxy.port, server.port) as sock,
    ):
        client = ssl.create_default_context()
        client.check_hostname = False
        client.verify_mode = ssl.CERT_NONE
        # The handshake completes, under a certificate mitmproxy made up for the name: this
        # is why the addons also set ignore_connection.
        with client.wrap_socket(sock, server_hostname="www.judi.test") as tls:
            der = tls.getpeercert(binary_form=True)
            assert der is not None and b"mitmproxy" in der
        assert server.accepted == 0
