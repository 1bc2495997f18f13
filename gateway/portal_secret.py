"""The portal's signing key: made once per gateway and kept, so a restart keeps phones' cookies."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from filters.atomic import atomic_write_bytes

KEY_FILE = "portal.key"
KEY_BYTES = 32


def portal_secret(state_dir: Path, name: str = KEY_FILE) -> bytes:
    """The key `name` under `state_dir`, created (readable by the owner only) on first use."""
    path = state_dir / name
    try:
        key = path.read_bytes()
        if len(key) == KEY_BYTES:
            return key
    except FileNotFoundError:
        pass
    state_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_bytes(KEY_BYTES)
    old = os.umask(0o077)  # never readable by others, not even for a moment
    try:
        atomic_write_bytes(path, key)
    finally:
        os.umask(old)
    return key
