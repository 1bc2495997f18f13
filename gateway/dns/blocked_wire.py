"""Blocked answers written as bytes: the one writer for both the Front and the chain.

Half of a hotspot's blocked queries are names asked once; building dnslib objects for each
cost far more than deciding to block them. The answer by `[dns].blocked_answer`: blockpage
(A is the gateway, other types have no data, so the phone lands on the block page), nxdomain
(with an SOA so the phone caches it) or null (0.0.0.0 and ::). With EDNS, an Extended DNS
Error 15 "Blocked" carries the category (RFC 8914).
"""

from __future__ import annotations

import functools
import ipaddress
import struct

from gateway.dns.wire import HEADER

BLOCKED_TTL = 300  # how long phones may cache a blocked answer
EDNS_PAYLOAD = 1232  # the DNS flag day 2020 size: no fragmentation on any path
QTYPE_A, QTYPE_AAAA, QTYPE_SOA, QTYPE_OPT = 1, 28, 6, 41
EDE_OPTION = EDE_BLOCKED = 15


def encode_name(name: str) -> bytes:
    """A name in wire form (labels, root byte)."""
    labels = [label.encode("ascii") for label in name.rstrip(".").split(".") if label]
    return b"".join(bytes([len(label)]) + label for label in labels) + b"\x00"


SOA_RDATA = (
    encode_name("hotspot-gateway.invalid")
    + encode_name("hostmaster.hotspot-gateway.invalid")
    + struct.pack("!IIIII", 1, 3600, 600, 86400, BLOCKED_TTL)
)
QNAME_OFFSET = 12  # the question's name always starts right after the header
SOA_TAIL = struct.pack("!HHIH", QTYPE_SOA, 1, BLOCKED_TTL, len(SOA_RDATA)) + SOA_RDATA
AAAA_NULL = b"\xc0\x0c" + struct.pack("!HHIH", QTYPE_AAAA, 1, BLOCKED_TTL, 16) + bytes(16)


@functools.lru_cache(maxsize=64)
def a_answer(address: str) -> bytes:
    """The A record of a blocked answer, pointing at the question's name."""
    return b"\xc0\x0c" + struct.pack("!HHIH", QTYPE_A, 1, BLOCKED_TTL, 4) + \
        ipaddress.IPv4Address(address).packed  # fmt: skip


@functools.lru_cache(maxsize=64)
def opt_blocked(category: str) -> bytes:
    """The OPT record with Extended DNS Error 15 "Blocked" and the category."""
    text = f"blocked: {category}".encode()
    ede = struct.pack("!HHH", EDE_OPTION, 2 + len(text), EDE_BLOCKED) + text
    return b"\x00" + struct.pack("!HHIH", QTYPE_OPT, EDNS_PAYLOAD, 0, len(ede)) + ede


def _soa(name: str | None, listed: str) -> bytes:
    """The SOA record, owned by the listed name: a pointer into the question when it is there."""
    if name is not None and (name == listed or name.endswith("." + listed)):
        # "www.x.com" and "\x03www\x01x\x03com" have the same length up to any label.
        return struct.pack("!H", 0xC000 | (QNAME_OFFSET + len(name) - len(listed))) + SOA_TAIL
    return encode_name(listed) + SOA_TAIL


def blocked_wire(
    qid: int, rd: bool, question: bytes, qtype: int, has_opt: bool,
    mode: str, lan_address: str, category: str, listed: str, name: str | None,
) -> bytes:  # fmt: skip
    """The whole blocked reply for one question (`question` as sent, `name` its lowercase text)."""
    answer = authority = b""
    rcode = 0
    if mode == "nxdomain":
        rcode = 3
        authority = _soa(name, listed)
    elif mode in ("blockpage", "null") and qtype == QTYPE_A:
        answer = a_answer(lan_address if mode == "blockpage" else "0.0.0.0")
    elif mode == "null" and qtype == QTYPE_AAAA:
        answer = AAAA_NULL
    else:
        authority = _soa(
            name, listed
        )  # no data for this type (HTTPS, SVCB, AAAA in blockpage mode)
    opt = opt_blocked(category) if has_opt else b""
    flags = 0x8000 | (0x0100 if rd else 0) | 0x0080 | rcode  # QR, RD copied, RA
    header = HEADER.pack(qid, flags, 1, 1 if answer else 0, 1 if authority else 0, 1 if opt else 0)
    return header + question + answer + authority + opt
