"""Ed25519 keys and signatures for bundles and their index.

Every signature covers a context string naming what is signed, so a signed index can never be
passed off as a bundle header or the other way round.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

BUNDLE_CONTEXT = b"hotspot-gateway bundle header v1\n"
INDEX_CONTEXT = b"hotspot-gateway bundle index v1\n"
SIGNATURE_SIZE = 64


class BadKey(ValueError):
    """A key file or key text is not a usable Ed25519 key; the message says why."""


class BadSignature(Exception):
    """A signature does not verify with the publisher's public key."""


def generate_key_pair() -> tuple[bytes, str]:
    """A new publisher key: (private key as PEM, public key as one line of base64)."""
    private = Ed25519PrivateKey.generate()
    pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return pem, public_key_text(private.public_key())


def public_key_text(public: Ed25519PublicKey) -> str:
    """The public key as base64 of its 32 raw bytes, the form the config takes."""
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.b64encode(raw).decode()


def key_fingerprint(public: Ed25519PublicKey) -> str:
    """A short stable name for a public key (SHA-256 of its raw bytes, 16 hex digits)."""
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def load_private_key(path: Path) -> Ed25519PrivateKey:
    """Read the publisher's private key (PEM, as `publish-keygen` writes it)."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise BadKey(f"cannot read {path}: {exc.strerror}") from None
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError) as exc:
        raise BadKey(f"{path} is not an unencrypted PEM private key: {exc}") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise BadKey(f"{path} holds a {type(key).__name__}, not an Ed25519 key")
    return key


def parse_public_key(text: str) -> Ed25519PublicKey | None:
    """The key if `text` is base64 of 32 raw bytes, else None (it may be a file name)."""
    try:
        raw = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        return None
    if len(raw) != 32:
        return None
    return Ed25519PublicKey.from_public_bytes(raw)


def load_public_key(text: str) -> Ed25519PublicKey:
    """The publisher's public key from base64 text, or from a file holding base64 or PEM."""
    key = parse_public_key(text)
    if key is not None:
        return key
    path = Path(text)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise BadKey(
            f"neither base64 of a 32-byte Ed25519 public key nor a readable file: "
            f"{text!r} ({exc.strerror})"
        ) from None
    key = parse_public_key(data.decode("ascii", errors="replace"))
    if key is not None:
        return key
    try:
        loaded = serialization.load_pem_public_key(data)
    except (ValueError, TypeError):
        raise BadKey(f"{path} holds neither base64 nor a PEM public key") from None
    if not isinstance(loaded, Ed25519PublicKey):
        raise BadKey(f"{path} holds a {type(loaded).__name__}, not an Ed25519 key")
    return loaded


def sign(private: Ed25519PrivateKey, context: bytes, message: bytes) -> bytes:
    """The 64-byte signature of `message` under `context`."""
    return private.sign(context + message)


def verify(public: Ed25519PublicKey, context: bytes, message: bytes, signature: bytes) -> None:
    """Raise BadSignature unless `signature` signs `message` under `context`."""
    try:
        public.verify(signature, context + message)
    except InvalidSignature:
        raise BadSignature("the signature does not verify with the publisher's key") from None
