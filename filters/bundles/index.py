"""index.json: the publisher's signed word on the latest version and the files that hold it.

    {"signed": "<JSON text of the Index>", "signature": "<base64 Ed25519 signature>"}

The signed part is kept as text, so the bytes verified are exactly the bytes parsed. Each file
is named with its size and SHA-256: a gateway fetches no more than that and checks it before it
opens the bundle.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta

from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from filters.bundles.format import FORMAT_VERSION, BundleError
from filters.bundles.signing import INDEX_CONTEXT, sign, verify

INDEX_NAME = "index.json"
STAMP = "%Y-%m-%dT%H:%M:%SZ"
# The publisher runs daily; a week covers a long weekend's outage before gateways complain.
INDEX_VALIDITY = timedelta(days=7)
MAX_INDEX_BYTES = 1 << 20
_FILE_NAME = re.compile(r"bundle-\d+\.(full|delta-from-\d+)")


@dataclass(frozen=True)
class BundleFile:
    """One file beside index.json: a full bundle (base None) or a delta from `base`."""

    file: str
    size: int
    sha256: str
    base: int | None = None


@dataclass(frozen=True)
class Index:
    """The latest version, its full bundle and the deltas that lead to it."""

    version: int
    created: str
    full: BundleFile
    deltas: tuple[BundleFile, ...] = ()
    format: int = FORMAT_VERSION
    # Until when the publisher vouches for this being its latest word ("" = no limit, as
    # indexes before this field had). Re-signed at every publish, changed or not, so a
    # gateway can tell a publisher that is alive from one frozen, or an old index replayed.
    expires: str = ""

    def expired(self, now: datetime) -> bool:
        """Whether the publisher's word on this index has run out at `now`."""
        if not self.expires:
            return False
        return now >= datetime.strptime(self.expires, STAMP).replace(tzinfo=UTC)

    def delta_from(self, base: int) -> BundleFile | None:
        """The delta from version `base`, if the publisher made one."""
        return next((d for d in self.deltas if d.base == base), None)


def full_name(version: int) -> str:
    """The file name of a version's full bundle."""
    return f"bundle-{version}.full"


def delta_name(version: int, base: int) -> str:
    """The file name of the delta from `base` to `version`."""
    return f"bundle-{version}.delta-from-{base}"


def expiry_from(now: datetime) -> str:
    """The `expires` stamp for an index signed at `now`."""
    return (now + INDEX_VALIDITY).strftime(STAMP)


def signed_index(index: Index, private: Ed25519PrivateKey) -> bytes:
    """index.json as the publisher writes it."""
    body = json.dumps(asdict(index), separators=(",", ":"), sort_keys=True)
    signature = sign(private, INDEX_CONTEXT, body.encode())
    envelope = {"signed": body, "signature": base64.b64encode(signature).decode()}
    return (json.dumps(envelope, indent=1) + "\n").encode()


def read_index(data: bytes, public: Ed25519PublicKey) -> Index:
    """The verified index; BadSignature or BundleError if it cannot be trusted or understood."""
    try:
        envelope = json.loads(data)
        body: str = envelope["signed"]
        signature = base64.b64decode(envelope["signature"], validate=True)
        if not isinstance(body, str):
            raise TypeError("signed is not text")
    except (ValueError, TypeError, KeyError, binascii.Error) as exc:
        raise BundleError(f"index.json is not a signed index: {exc}") from None
    verify(public, INDEX_CONTEXT, body.encode(), signature)
    try:
        raw = json.loads(body)
        if raw.get("format") != FORMAT_VERSION:
            raise BundleError(f"index format {raw.get('format')!r} is not supported")
        raw["full"] = BundleFile(**raw["full"])
        raw["deltas"] = tuple(BundleFile(**d) for d in raw["deltas"])
        index = Index(**raw)
        if index.expires:
            datetime.strptime(index.expires, STAMP)
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        raise BundleError(f"index.json is not valid: {exc}") from None
    for named in (index.full, *index.deltas):
        if not _FILE_NAME.fullmatch(named.file):
            raise BundleError(f"index.json names an unexpected file {named.file!r}")
    return index
