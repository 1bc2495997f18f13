"""A listen backlog for the proxy that a hotspot's bursts of new connections fit in.

mitmproxy listens through `asyncio.start_server`, whose backlog is 100. A hundred phones that
open a page each (6 to 20 connections apiece) fill that at once; the kernel then drops further
SYNs, so phones wait a whole second to retransmit, and with SYN cookies a connection the phone
thinks is open may never reach the proxy at all. Calling listen() again on a listening socket
only changes its backlog, so this raises it once mitmproxy's listeners are up.
"""

from __future__ import annotations

import logging
import os
import socket
from typing import Any

from mitmproxy import ctx
from mitmproxy.addonmanager import Loader

log = logging.getLogger(__name__)

PROXY_BACKLOG = 4096  # the kernel caps it at net.core.somaxconn (4096 since Linux 5.4)


def raise_backlog(servers: list[Any], backlog: int = PROXY_BACKLOG) -> int:
    """listen(backlog) on every TCP listener among asyncio servers; how many there were."""
    raised = 0
    for server in servers:
        # asyncio's and uvloop's servers have `sockets` (uvloop's is no asyncio.AbstractServer);
        # mitmproxy's UDP servers have none, and no backlog.
        for transport_socket in getattr(server, "sockets", None) or ():
            if transport_socket.type != socket.SOCK_STREAM:
                continue
            # A duplicate descriptor shares the socket, so its listen() is the listener's.
            with socket.socket(fileno=os.dup(transport_socket.fileno())) as listener:
                listener.listen(backlog)
            raised += 1
    return raised


class ListenBacklog:
    """An addon that raises the backlog of mitmproxy's listeners whenever they (re)start."""

    def __init__(self, backlog: int = PROXY_BACKLOG) -> None:
        self.backlog = backlog

    def load(self, loader: Loader) -> None:
        """Follow the proxyserver addon's listeners (it must be loaded before this one)."""
        proxyserver: Any = ctx.master.addons.get("proxyserver")
        # Sent before and after servers start; the signal holds this method weakly, and the
        # addon manager holds the addon.
        proxyserver.servers.changed.connect(self.servers_changed)

    def servers_changed(self) -> None:
        """Raise the backlog of every TCP listener now running."""
        proxyserver: Any = ctx.master.addons.get("proxyserver")
        raised = 0
        for instance in proxyserver.servers:
            # mitmproxy keeps each mode's asyncio servers here; it offers no public way in.
            raised += raise_backlog(getattr(instance, "_servers", []), self.backlog)
        if raised:
            log.info("proxy listen backlog raised to %d on %d socket(s)", self.backlog, raised)
