"""Plain HTTP by host and page: a blocked request gets the block page; the portal's names pass."""

from __future__ import annotations

import html
import ipaddress
import logging
from collections.abc import Callable, Iterable, Sequence

from mitmproxy import ctx, exceptions, http
from mitmproxy.addonmanager import Loader

from filters.addons.counters import HTTP_BLOCKED, ProxyCounters
from filters.engine import BlocklistEngine
from filters.names import InvalidName, normalise_name

logger = logging.getLogger(__name__)

BlockPage = Callable[[str, str], bytes]
UNKNOWN_CATEGORY = "blocked"


def plain_block_page(host: str, category: str) -> bytes:
    """A minimal block page, for when the proxy is run without the portal's renderer."""
    return (
        "<!doctype html><html lang=id><meta charset=utf-8><title>Situs ini diblokir</title>"
        f"<p>{html.escape(host)} diblokir di hotspot ini. Kategori: {html.escape(category)}.</p>"
        "</html>"
    ).encode()


def parse_portal_hosts(values: Iterable[str]) -> frozenset[str]:
    """The portal's names and addresses in canonical form; ValueError names the bad entry."""
    hosts = set()
    for value in values:
        try:
            hosts.add(str(ipaddress.ip_address(value.strip().strip("[]"))))
            continue
        except ValueError:
            pass
        try:
            hosts.add(normalise_name(value))
        except InvalidName as e:
            raise ValueError(f"{value!r} is neither a host name nor an IP address ({e})") from e
    return frozenset(hosts)


def canonical_host(host: str) -> str:
    """A request's host as the portal list and the engine spell it."""
    host = host.strip().lower().rstrip(".")
    try:
        return str(ipaddress.ip_address(host.strip("[]")))
    except ValueError:
        return host


def is_ip_literal(host: str) -> bool:
    """True for an IPv4 or IPv6 address."""
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


class HttpBlocking:
    """Answers requests for blocked hosts, pages and addresses with the block page, unforwarded."""

    def __init__(
        self, engine: BlocklistEngine, counters: ProxyCounters, block_page: BlockPage | None = None
    ) -> None:
        self.engine = engine
        self.counters = counters
        self.block_page = block_page or plain_block_page
        self.portal_hosts: frozenset[str] = frozenset()  # the option's default

    def load(self, loader: Loader) -> None:
        """Declare `portal_hosts`."""
        loader.add_option(
            "portal_hosts",
            Sequence[str],
            [],
            "Host names and addresses of the captive portal; requests for them are never blocked.",
        )

    def configure(self, updated: set[str]) -> None:
        """Parse `portal_hosts`."""
        if "portal_hosts" in updated:
            try:
                self.portal_hosts = parse_portal_hosts(ctx.options.portal_hosts)
            except ValueError as e:
                # mitmproxy leaves its exceptions' __init__ untyped.
                raise exceptions.OptionsError(f"Invalid portal_hosts: {e}") from e  # type: ignore[no-untyped-call]

    def request(self, flow: http.HTTPFlow) -> None:
        """Answer a request for a blocked host with a 403 block page."""
        if flow.response or flow.error or not flow.live:
            return
        # In transparent mode the request line has no host; pretty_host reads the Host header.
        host = canonical_host(flow.request.pretty_host)
        # The portal serves its own names.
        if host in self.portal_hosts or not host:
            return
        if is_ip_literal(host):
            verdict = self.engine.lookup_address(host)
        else:
            # The transparent request line carries the path and query only.
            verdict = self.engine.lookup_request(host, flow.request.path)
        if not verdict.blocked:
            return
        category = verdict.category or UNKNOWN_CATEGORY
        flow.metadata["hotspot_blocked"] = {
            "host": host,
            "category": category,
            "source": verdict.source,
            "rule": verdict.rule,
        }
        flow.response = http.Response.make(
            403, self.block_page(host, category), {"Content-Type": "text/html; charset=utf-8"}
        )
        self.counters.count(HTTP_BLOCKED, category)
        logger.info("blocked HTTP request for %s (%s: %s)", host, category, verdict.source)
