"""Shared fixtures: the real lists in ../shared and a scratch state directory."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SHARED_LISTS = REPO.parent / "shared" / "data" / "blocklists"


def shared_list(name: str) -> Path:
    """A real list from ../shared; the suite fails loudly if the data is missing."""
    path = SHARED_LISTS / name
    if not path.exists():
        raise FileNotFoundError(f"{path} missing: tests need ../shared/data/blocklists")
    return path


@pytest.fixture
def state_dir(tmp_path: Path) -> Path:
    return tmp_path / "state"
