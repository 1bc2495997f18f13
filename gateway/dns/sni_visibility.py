"""Keep the TLS server name visible: strip `ech` (and `h3`) from HTTPS and SVCB answers.

Encrypted ClientHello would hide the name from the proxy's SNI check, and HTTP/3 runs over QUIC,
which the firewall rejects: a browser told about either would try it first and then wait. So
allowed names' HTTPS (65) and SVCB (64) records go out without `ech`, and without `h3` in `alpn`.
"""

from __future__ import annotations

from dnslib import HTTPS, QTYPE, RR, Buffer, DNSRecord

from gateway.dns.model import DnsRequest, DnsResponse
from gateway.dns.resolver import ChainedResolver, Resolver

SVCB_TYPES = (QTYPE.HTTPS, 64)
KEY_MANDATORY, KEY_ALPN, KEY_ECH = 0, 1, 5

Params = list[tuple[int, bytes]]


def _alpn_ids(value: bytes) -> list[bytes]:
    ids, i = [], 0
    while i < len(value):
        n = value[i]
        ids.append(bytes(value[i + 1 : i + 1 + n]))
        i += 1 + n
    return ids


def visible_params(params: Params, drop_h3: bool) -> Params:
    """SvcParams without `ech`, and without HTTP/3 protocol ids in `alpn` when asked."""
    dropped = {KEY_ECH}
    out: Params = []
    for key, value in params:
        if key == KEY_ECH:
            continue
        if key == KEY_ALPN and drop_h3:
            kept = [i for i in _alpn_ids(value) if not i.startswith(b"h3")]
            if not kept:
                dropped.add(KEY_ALPN)
                continue
            value = b"".join(bytes([len(i)]) + i for i in kept)
        out.append((key, bytes(value)))
    # A key listed as mandatory but removed would make clients ignore the whole record.
    result: Params = []
    for key, value in out:
        if key == KEY_MANDATORY:
            keys = [value[i : i + 2] for i in range(0, len(value), 2)]
            kept = [k for k in keys if int.from_bytes(k, "big") not in dropped]
            if not kept:
                continue
            value = b"".join(kept)
        result.append((key, value))
    return result


def _rewrite(rr: RR, drop_h3: bool) -> RR:
    rdata = rr.rdata
    if not isinstance(rdata, HTTPS):  # SVCB: dnslib keeps raw bytes; same wire format
        raw = bytes(rdata.data)
        rdata = HTTPS.parse(Buffer(raw), len(raw))
    params = visible_params([(k, bytes(v)) for k, v in rdata.params], drop_h3)
    clean = HTTPS(rdata.priority, rdata.target, [(k, bytearray(v)) for k, v in params])
    if rr.rtype != QTYPE.HTTPS:
        buffer = Buffer()
        clean.pack(buffer)
        clean = type(rr.rdata)(bytes(buffer.data))
    return RR(rr.rname, rr.rtype, rr.rclass, rr.ttl, clean)


def make_sni_visible(reply: DNSRecord, drop_h3: bool = True) -> DNSRecord:
    """The reply with every HTTPS and SVCB record rewritten (in place)."""
    reply.rr = [_rewrite(rr, drop_h3) if rr.rtype in SVCB_TYPES else rr for rr in reply.rr]
    return reply


class SniVisibilityResolver(ChainedResolver):
    """Post-processes HTTPS and SVCB answers from the next resolver."""

    def __init__(self, next_resolver: Resolver, drop_h3: bool = True) -> None:
        super().__init__(next_resolver)
        self.drop_h3 = drop_h3

    async def resolve(self, request: DnsRequest) -> DnsResponse:
        """Ask the next resolver; clean HTTPS and SVCB records in what it says."""
        response = await self.next.resolve(request)
        if request.message.q.qtype in SVCB_TYPES:  # only these queries get such records
            make_sni_visible(response.message, self.drop_h3)
        return response
