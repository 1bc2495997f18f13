"""Pure helpers on DNS wire bytes, for answering repeated questions without building objects."""

from __future__ import annotations

import struct
from typing import NamedTuple

from gateway.dns._question import parse_query

OPT_TYPE = 41
HEADER = struct.Struct("!HHHHHH")


class SimpleQuery(NamedTuple):
    """A plain query: one uncompressed question, optionally one OPT record, nothing else."""

    qid: int
    flags: int
    question: bytes  # name + type + class, exactly as sent
    has_opt: bool
    name: str | None  # the name in lowercase text; None when it is not ASCII


def parse_simple_query(wire: bytes) -> SimpleQuery | None:
    """The query's parts if it is the plain kind phones send; None for anything else."""
    parts = parse_query(wire)
    return None if parts is None else SimpleQuery(*parts)


def _skip_name(wire: bytes, i: int) -> int:
    while True:
        n = wire[i]
        if n == 0:
            return i + 1
        if n >= 0xC0:
            return i + 2
        i += 1 + n


def ttl_offsets(wire: bytes) -> tuple[int, ...] | None:
    """Where each record's TTL sits in a reply (OPT excluded); None if it cannot be walked."""
    try:
        _, _, qd, an, ns, ar = HEADER.unpack_from(wire)
        i = 12
        for _ in range(qd):
            i = _skip_name(wire, i) + 4
        offsets = []
        for _ in range(an + ns + ar):
            i = _skip_name(wire, i)
            rtype, _cls, _ttl, rdlen = struct.unpack_from("!HHIH", wire, i)
            if rtype != OPT_TYPE:
                offsets.append(i + 4)
            i += 10 + rdlen
        if i != len(wire):
            return None
        return tuple(offsets)
    except (IndexError, struct.error):
        return None


def refused(query: SimpleQuery) -> bytes:
    """REFUSED for a plain query, with an OPT record when the query had one (RFC 6891)."""
    flags = 0x8000 | (query.flags & 0x0100) | 0x0080 | 5  # QR, RD copied, RA, REFUSED
    opt = b"\x00\x00\x29\x04\xd0\x00\x00\x00\x00\x00\x00" if query.has_opt else b""
    header = HEADER.pack(query.qid, flags, 1, 0, 0, 1 if opt else 0)
    return header + query.question + opt
