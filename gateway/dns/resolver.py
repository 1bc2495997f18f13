"""The resolver chain's contract: each link answers by itself or asks the next one."""

from __future__ import annotations

from typing import Protocol

from gateway.dns.model import DnsRequest, DnsResponse


class Resolver(Protocol):
    """Anything that turns a request into a response."""

    async def resolve(self, request: DnsRequest) -> DnsResponse:
        """Answer one request."""
        ...


class ChainedResolver:
    """A link with a next resolver; it must not care what the links before it did."""

    def __init__(self, next_resolver: Resolver) -> None:
        self.next = next_resolver
