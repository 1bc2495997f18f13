"""The resolver chain and the Front before it, assembled once; the order is the design."""

from __future__ import annotations

from filters.engine import BlocklistEngine
from filters.safesearch import load_safesearch
from gateway.config import DnsConfig, NetworkConfig
from gateway.dns.blocking import BlockingResolver
from gateway.dns.cache import CachingResolver
from gateway.dns.counters import DnsCounters
from gateway.dns.front import Front
from gateway.dns.minimal_any import MinimalAnyResolver
from gateway.dns.query_log import QueryLog, QueryLogResolver
from gateway.dns.resolver import Resolver
from gateway.dns.safesearch import SafeSearchResolver
from gateway.dns.sni_visibility import SniVisibilityResolver
from gateway.dns.special_names import SpecialNamesResolver
from gateway.dns.upstream import Upstream, UpstreamResolver
from gateway.dns.wire_blocker import WireBlocker
from gateway.dns.wire_cache import WireCache


def build_chain(
    dns: DnsConfig,
    network: NetworkConfig,
    engine: BlocklistEngine,
    counters: DnsCounters,
    portal_names: tuple[str, ...] = (),
    upstream_timeout: float = 2.0,
    query_log: QueryLog | None = None,
) -> Resolver:
    """Special names, blocking, ANY, SafeSearch, SNI, cache, upstreams (after the Front)."""
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
    # The opt-in log sees every answer the chain gives.
    return QueryLogResolver(special, query_log) if query_log else special


def build_front(
    dns: DnsConfig,
    network: NetworkConfig,
    engine: BlocklistEngine,
    wire_cache: bool = True,
    portal_names: tuple[str, ...] = (),
) -> Front:
    """Access, rate limit and the wire cache, which run before the chain for every query.

    The wire cache and the Front's blocking are off while the opt-in query log is on: the log
    must see every query.
    """
    fast = wire_cache and not dns.query_log
    blocker = WireBlocker(engine, dns.blocked_answer, network.lan_address, portal_names)
    return Front(
        (network.client_subnet,),
        dns.rate_limit,
        dns.rate_limit_exempt,
        generation=lambda: engine.generation,
        cache=WireCache() if fast else None,
        blocker=blocker if fast else None,
    )
