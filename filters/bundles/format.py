"""The bundle file: what a publisher sends and a gateway verifies before it uses any of it.

    MAGIC                       "HGBUNDLE1" and a newline
    header length               4 bytes, big-endian
    header                      UTF-8 JSON (BundleHeader), at most MAX_HEADER bytes
    signature                   64 bytes, Ed25519 over BUNDLE_CONTEXT + header
    payload                     one xz stream per source part, where the header says

The signature covers the header, and the header holds the SHA-256 of the payload and of every
rebuilt file, so no byte of a bundle can change or move without the check failing. The header is
verified before it is parsed: nothing unsigned is ever interpreted.
"""

from __future__ import annotations

import json
import struct
from dataclasses import asdict, dataclass
from typing import Any, BinaryIO

MAGIC = b"HGBUNDLE1\n"
FORMAT_VERSION = 1
MAX_HEADER = 1 << 20
KINDS = ("full", "delta")
ENCODINGS = ("full", "delta", "same")  # same: the file is unchanged since the base version


class BundleError(ValueError):
    """A bundle is damaged or not what its index said; the message says what is wrong."""


@dataclass(frozen=True)
class SourcePart:
    """One list in a bundle: its source definition, the file it rebuilds, and its part."""

    name: str
    url: str
    category: str
    format: str
    action: str
    entries: int
    sha256: str  # of the rebuilt file
    size: int  # of the rebuilt file
    encoding: str  # full | delta | same
    offset: int = 0  # of the xz part within the payload
    length: int = 0  # of the xz part
    part_size: int = 0  # of the part once decompressed (the file, or the delta script)
    base_sha256: str | None = None  # the file this delta or "same" applies to


@dataclass(frozen=True)
class BundleHeader:
    """What a bundle holds: its version, whether it is a delta and from what, and its lists."""

    version: int
    created: str
    kind: str
    base: int | None
    sources: tuple[SourcePart, ...]
    payload_size: int
    payload_sha256: str
    format: int = FORMAT_VERSION

    def to_bytes(self) -> bytes:
        """The header as stored and signed."""
        return json.dumps(asdict(self), separators=(",", ":"), sort_keys=True).encode()

    @classmethod
    def from_bytes(cls, data: bytes) -> BundleHeader:
        """Parse a verified header; BundleError if it is not one this code understands."""
        try:
            raw = json.loads(data)
            if raw.get("format") != FORMAT_VERSION:
                raise BundleError(f"bundle format {raw.get('format')!r} is not supported")
            sources = tuple(SourcePart(**s) for s in raw.pop("sources"))
            header = cls(sources=sources, **raw)
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            raise BundleError(f"the bundle header is not valid: {exc}") from None
        _check_header(header)
        return header


def _check_header(header: BundleHeader) -> None:
    if header.kind not in KINDS or (header.kind == "delta") != (header.base is not None):
        raise BundleError(f"the bundle kind {header.kind!r} does not fit base {header.base!r}")
    for part in header.sources:
        if part.encoding not in ENCODINGS or (part.encoding != "full") != bool(part.base_sha256):
            raise BundleError(f"{part.name}: part encoding {part.encoding!r} is not valid")
        if part.offset < 0 or part.length < 0 or part.offset + part.length > header.payload_size:
            raise BundleError(f"{part.name}: its part lies outside the payload")


def write_bundle(out: BinaryIO, header: bytes, signature: bytes, payload: BinaryIO) -> None:
    """Write a bundle: the signed header, then the payload copied from `payload`."""
    out.write(MAGIC + struct.pack(">I", len(header)) + header + signature)
    while chunk := payload.read(1 << 20):
        out.write(chunk)


@dataclass(frozen=True)
class SignedHeader:
    """A bundle's header as read, not yet verified, and where its payload starts."""

    header: bytes
    signature: bytes
    payload_offset: int


def read_signed_header(fh: BinaryIO) -> SignedHeader:
    """Read the header and signature of a bundle; BundleError if it is cut short or foreign."""
    if fh.read(len(MAGIC)) != MAGIC:
        raise BundleError("not a hotspot-gateway bundle (wrong magic)")
    length_bytes = fh.read(4)
    if len(length_bytes) != 4:
        raise BundleError("the bundle is cut short in its header")
    (length,) = struct.unpack(">I", length_bytes)
    if length > MAX_HEADER:
        raise BundleError(f"the bundle header claims {length} bytes, over {MAX_HEADER}")
    header = fh.read(length)
    signature = fh.read(64)
    if len(header) != length or len(signature) != 64:
        raise BundleError("the bundle is cut short in its header")
    return SignedHeader(header, signature, len(MAGIC) + 4 + length + 64)


def source_json(part: SourcePart) -> dict[str, Any]:
    """A part's source definition and file, without where it sits in this bundle."""
    return {
        "name": part.name, "url": part.url, "category": part.category, "format": part.format,
        "action": part.action, "entries": part.entries, "sha256": part.sha256, "size": part.size,
    }  # fmt: skip
