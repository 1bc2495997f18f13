"""A bundle file opens only when its signature and checksums hold, and its parts fit."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from filters.bundles.format import MAGIC, BundleError, SourcePart, read_signed_header
from filters.bundles.pack import PackedPart, write_signed_bundle
from filters.bundles.signing import BadSignature
from filters.bundles.unpack import open_verified
from filters.compiler import file_sha256

KEY = Ed25519PrivateKey.generate()


def bundle(tmp_path: Path, text: bytes = b"a.test\nb.test\n") -> Path:
    listing = tmp_path / "judi.list"
    listing.write_bytes(text)
    part = SourcePart(
        name="judi", url="https://lists.example/judi", category="gambling", format="domains",
        action="block", entries=2, sha256=file_sha256(listing), size=len(text), encoding="full",
    )  # fmt: skip
    path = tmp_path / "bundle-1.full"
    write_signed_bundle(path, 1, None, [PackedPart(part, file=listing)], KEY)
    return path


def test_a_bundle_reads_back_what_was_packed(tmp_path: Path) -> None:
    opened = open_verified(bundle(tmp_path), KEY.public_key())
    (part,) = opened.header.sources
    assert (opened.header.version, opened.header.kind, part.name) == (1, "full", "judi")
    assert opened.part_bytes(part) == b"a.test\nb.test\n"
    assert not list(tmp_path.glob(".*"))  # no temporary files left behind


def flip(path: Path, offset: int) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x01
    path.write_bytes(bytes(data))


def test_a_changed_header_byte_breaks_the_signature(tmp_path: Path) -> None:
    path = bundle(tmp_path)
    flip(path, len(MAGIC) + 4 + 10)
    with pytest.raises(BadSignature):
        open_verified(path, KEY.public_key())


def test_a_changed_payload_byte_breaks_the_checksum(tmp_path: Path) -> None:
    path = bundle(tmp_path)
    flip(path, path.stat().st_size - 3)
    with pytest.raises(BundleError, match="does not match the checksum"):
        open_verified(path, KEY.public_key())


def test_a_zeroed_signature_is_refused(tmp_path: Path) -> None:
    path = bundle(tmp_path)
    with path.open("rb") as fh:
        signed = read_signed_header(fh)
    data = bytearray(path.read_bytes())
    start = signed.payload_offset - 64
    data[start : start + 64] = bytes(64)
    path.write_bytes(bytes(data))
    with pytest.raises(BadSignature):
        open_verified(path, KEY.public_key())


@pytest.mark.parametrize("keep", [3, len(MAGIC) + 2, len(MAGIC) + 30, -5])
def test_a_bundle_cut_short_is_refused(tmp_path: Path, keep: int) -> None:
    path = bundle(tmp_path)
    path.write_bytes(path.read_bytes()[:keep])
    with pytest.raises(BundleError):
        open_verified(path, KEY.public_key())


def test_a_bundle_from_another_key_is_refused(tmp_path: Path) -> None:
    with pytest.raises(BadSignature):
        open_verified(bundle(tmp_path), Ed25519PrivateKey.generate().public_key())
