"""Open a bundle only after its signature and checksums hold; read its parts within their sizes.

Decompression stops at the size the signed header declares, so even a bundle signed by mistake
over a huge part cannot fill the disk or memory of a gateway.
"""

from __future__ import annotations

import hashlib
import lzma
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from filters.bundles.format import BundleError, BundleHeader, SourcePart, read_signed_header
from filters.bundles.signing import BUNDLE_CONTEXT, verify

CHUNK = 1 << 20


@dataclass(frozen=True)
class VerifiedBundle:
    """A bundle file whose header signature and payload checksum have been checked."""

    path: Path
    header: BundleHeader
    payload_offset: int

    def part_chunks(self, part: SourcePart) -> Iterator[bytes]:
        """The decompressed bytes of one part, in chunks; BundleError if they do not fit."""
        decompressor = lzma.LZMADecompressor(format=lzma.FORMAT_XZ)
        produced = 0
        with self.path.open("rb") as fh:
            fh.seek(self.payload_offset + part.offset)
            remaining = part.length
            while remaining > 0:
                data = fh.read(min(CHUNK, remaining))
                if not data:
                    raise BundleError(f"{part.name}: its part is cut short")
                remaining -= len(data)
                while True:
                    try:
                        out = decompressor.decompress(data, max_length=CHUNK)
                    except lzma.LZMAError as exc:
                        raise BundleError(
                            f"{part.name}: its part does not decompress: {exc}"
                        ) from None
                    produced += len(out)
                    if produced > part.part_size:
                        raise BundleError(f"{part.name}: its part is larger than declared")
                    if out:
                        yield out
                    data = b""
                    if decompressor.needs_input or decompressor.eof:
                        break
        if not decompressor.eof or decompressor.unused_data or produced != part.part_size:
            raise BundleError(f"{part.name}: its part does not end where declared")

    def part_bytes(self, part: SourcePart) -> bytes:
        """One part, decompressed into memory (delta scripts; base lists on the publisher)."""
        return b"".join(self.part_chunks(part))


def open_verified(path: Path, public: Ed25519PublicKey) -> VerifiedBundle:
    """Check a downloaded bundle; BadSignature or BundleError when it cannot be trusted."""
    with path.open("rb") as fh:
        signed = read_signed_header(fh)
        verify(public, BUNDLE_CONTEXT, signed.header, signed.signature)
        header = BundleHeader.from_bytes(signed.header)
        digest = hashlib.sha256()
        size = 0
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
    if size != header.payload_size:
        raise BundleError(
            f"the payload is {size} bytes where the header says {header.payload_size}"
        )
    if digest.hexdigest() != header.payload_sha256:
        raise BundleError("the payload does not match the checksum in its signed header")
    return VerifiedBundle(path, header, signed.payload_offset)
