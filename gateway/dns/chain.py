"""The resolver chain, assembled once; the order is the design (see ARCHITECTURE.md)."""

from __future__ import annotations

from filters.engine import BlocklistEngine
from filters.safesearch import load_safesearch
from gateway.config import DnsConfig, NetworkConfig
from gateway.dns.access import ClientAccessResolver
from gateway.dns.blocking import BlockingResolver
from gateway.dns.cache import CachingResolver
from gateway.dns.counters import DnsCounters
from gateway.dns.minimal_any import MinimalAnyResolver
from gateway.dns.query_log import QueryLog, QueryLogResolver
from gateway.dns.rate_limit import RateLimitResolver
from gateway.dns.resolver import Resolver
from gateway.dns.safesearch import SafeSearchResolver
from gateway.dns.sni_visibility import SniVisibilityResolver
from gateway.dns.special_names import SpecialNamesResolver
from gateway.dns.upstream import Upstream, UpstreamResolver


def build_chain(
    dns: DnsConfig,
    network: NetworkConfig,
    engine: BlocklistEngine,
    counters: DnsCounters,
    portal_names: tuple[str, ...] = (),
    upstream_timeout: float = 2.0,
    query_log: QueryLog | None = None,
) -> Resolver:
    """Access, rate limit, special names, blocking, SafeSearch, SNI, cache, upstreams."""
    upstream = UpstreamResolver([Upstream.parse(u) for u in dns.upstreams], counters,
                                upstream_timeout)  # fmt: skip
    # The cache right before the upstreams: it holds only what they said, so a blocklist
    # change takes effect at once instead of after cached TTLs run out.
    cache = CachingResolver(upstream, counters)
    # After the cache, so cached answers are cleaned too; the cache keeps what upstream said.
    visible = SniVisibilityResolver(cache)
    # SafeSearch after blocking (a blocked name stays blocked) and before the cache, which
    # then holds the safe endpoint's own records under its own name.
    safe = SafeSearchResolver(visible, load_safesearch() if dns.safesearch else {})
    # ANY after blocking, so a blocked name is blocked for ANY too.
    minimal_any = MinimalAnyResolver(safe)
    # Blocking before anything that could send the name out: a blocked name never leaves.
    blocking = BlockingResolver(
        minimal_any, engine, dns.blocked_answer, network.lan_address, counters
    )
    # Special names before blocking: the DoH canary must answer NXDOMAIN even if a list names it.
    special = SpecialNamesResolver(blocking, network.lan_address, portal_names)
    # The rate limit before any work is done for a client, but after the access check, so
    # strangers cannot fill the bucket table.
    limited = RateLimitResolver(special, dns.rate_limit, dns.rate_limit_exempt)
    # The opt-in log sees every answer the clients got, refusals included.
    logged: Resolver = QueryLogResolver(limited, query_log) if query_log else limited
    # First: only the hotspot's own clients get anything at all.
    return ClientAccessResolver(logged, (network.client_subnet,))
