"""Publisher keys: made, written, read back in each form the config takes; signatures bound."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from filters.bundles.signing import (
    BUNDLE_CONTEXT,
    INDEX_CONTEXT,
    BadKey,
    BadSignature,
    generate_key_pair,
    key_fingerprint,
    load_private_key,
    load_public_key,
    public_key_text,
    sign,
    verify,
)


def test_a_generated_pair_signs_and_verifies(tmp_path: Path) -> None:
    pem, public_text = generate_key_pair()
    (tmp_path / "publisher.key").write_bytes(pem)
    private = load_private_key(tmp_path / "publisher.key")
    public = load_public_key(public_text)
    assert public_key_text(private.public_key()) == public_text
    signature = sign(private, BUNDLE_CONTEXT, b"header")
    verify(public, BUNDLE_CONTEXT, b"header", signature)
    with pytest.raises(BadSignature):
        verify(public, BUNDLE_CONTEXT, b"headex", signature)
    with pytest.raises(BadSignature):  # an index signature is no bundle signature
        verify(public, INDEX_CONTEXT, b"header", signature)
    other = Ed25519PrivateKey.generate().public_key()
    with pytest.raises(BadSignature):
        verify(other, BUNDLE_CONTEXT, b"header", signature)


def test_the_public_key_is_read_from_text_a_base64_file_or_pem(tmp_path: Path) -> None:
    private = Ed25519PrivateKey.generate()
    text = public_key_text(private.public_key())
    (tmp_path / "k.pub").write_text(text + "\n")
    pem = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    (tmp_path / "k.pem").write_bytes(pem)
    wanted = key_fingerprint(private.public_key())
    for given in (text, str(tmp_path / "k.pub"), str(tmp_path / "k.pem")):
        assert key_fingerprint(load_public_key(given)) == wanted


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("AAAA", "neither base64 of a 32-byte"),
        ("/nonexistent/k.pub", "neither base64 of a 32-byte"),
    ],
)
def test_a_bad_public_key_says_why(text: str, reason: str) -> None:
    with pytest.raises(BadKey, match=reason):
        load_public_key(text)


def test_a_private_key_of_another_kind_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "k"
    path.write_text("not a key")
    with pytest.raises(BadKey, match="not an unencrypted PEM private key"):
        load_private_key(path)
    with pytest.raises(BadKey, match="cannot read"):
        load_private_key(tmp_path / "missing")
