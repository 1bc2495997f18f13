"""What the TLS addons decided for a connection, and the two ways of carrying it out in mitmproxy.

mitmproxy 11 gives a `tls_clienthello` hook no place of its own for notes on a connection
(`Context` and `Client` have no metadata), so decisions are kept beside the client connection
in a weak map: they go when mitmproxy drops the connection, and no history is kept.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from typing import Literal

from mitmproxy import connection
from mitmproxy.tls import ClientHelloData

Action = Literal["pass", "refuse"]


@dataclass(frozen=True)
class TlsDecision:
    """One connection's fate, and the reason that goes to logs and to a refused server's error."""

    action: Action
    reason: str
    sni: str | None = None
    category: str | None = None


_decisions: weakref.WeakKeyDictionary[connection.Client, TlsDecision] = weakref.WeakKeyDictionary()


def decision_for(client: connection.Client) -> TlsDecision | None:
    """The decision taken for a client connection, if a TLS addon took one."""
    return _decisions.get(client)


def is_decided(data: ClientHelloData) -> bool:
    """True if an earlier addon already passed or refused this ClientHello."""
    return data.ignore_connection or data.context.server.error is not None


def pass_through(data: ClientHelloData, decision: TlsDecision) -> None:
    """Relay the connection's bytes untouched: no decryption, no proxy certificate."""
    data.ignore_connection = True
    _decisions[data.context.client] = decision


def refuse(data: ClientHelloData, decision: TlsDecision) -> None:
    """Close the client connection without a TLS handshake and without contacting the server.

    Both settings are needed, and `connection_strategy` must be "lazy":
    - `ignore_connection` makes mitmproxy's ClientTLSLayer skip its own handshake with the
      client (no `tls_start_client`, so no certificate is made or sent) and hand the raw
      bytes to a passthrough TCPLayer;
    - that TCPLayer, finding no server connection yet (lazy), asks for one; the proxy server
      runs `server_connect` and then, seeing `server.error` set, refuses to connect
      ("killed before connect") and the TCPLayer closes the client.
    Without "ignore", mitmproxy would complete a handshake under its own certificate first.
    """
    data.ignore_connection = True
    data.context.server.error = decision.reason
    _decisions[data.context.client] = decision
