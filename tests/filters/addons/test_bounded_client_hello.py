"""BoundedClientHello: a ClientHello that keeps growing is cut off; real ones are untouched."""

from __future__ import annotations

import ssl
import time
from pathlib import Path

import pytest
from mitmproxy import exceptions

from filters.addons import BoundedClientHello, ProxyCounters, default_addons
from filters.addons.counters import FIRST_MESSAGE_OVERSIZED
from filters.engine import BlocklistEngine
from tests.e2e.phone import huge_client_hello_records, sent_before_close
from tests.filters.addons.harness import addon_context
from tests.filters.addons.loopback import (
    GREETING,
    ProxyThread,
    TlsServer,
    make_certificate,
    open_tunnel,
)

pytestmark = pytest.mark.timeout(60)


def test_a_clienthello_past_the_cap_is_closed_and_the_server_never_contacted(
    engine: BlocklistEngine, tmp_path: Path
) -> None:
    certificate = make_certificate(tmp_path, ["allowed.example"])
    counters = ProxyCounters()
    addons = [BoundedClientHello(counters), *default_addons(engine, counters=counters)]
    with TlsServer(*certificate) as server, ProxyThread(addons, tmp_path / "mitm") as proxy:
        with open_tunnel(proxy.port, server.port) as sock:
            sent = sent_before_close(sock, huge_client_hello_records(400 * 1024))
        assert sent < 96 * 1024, sent  # cut off near the 32 KiB default, not at 400 KiB
        time.sleep(0.3)
        assert server.accepted == 0
        assert counters.get(FIRST_MESSAGE_OVERSIZED) == 1
        # The proxy goes on serving: a real ClientHello is judged and passed as ever.
        with open_tunnel(proxy.port, server.port) as sock:
            context = ssl.create_default_context(cafile=str(certificate[0]))
            with context.wrap_socket(sock, server_hostname="allowed.example") as tls:
                assert tls.recv(100) == GREETING
        assert counters.get(FIRST_MESSAGE_OVERSIZED) == 1


def test_the_cap_is_an_option_with_sane_bounds() -> None:
    addon = BoundedClientHello(ProxyCounters())
    with addon_context(addon) as tctx:
        tctx.configure(addon, first_message_max_bytes=8192)
        assert addon.max_bytes == 8192
        for bad in (100, 1 << 25):
            with pytest.raises(exceptions.OptionsError, match="first_message_max_bytes"):
                tctx.configure(addon, first_message_max_bytes=bad)
        assert addon.max_bytes == 8192
