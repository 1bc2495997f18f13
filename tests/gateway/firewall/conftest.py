"""The namespace hotspot fixture: built fresh for each test, removed even when the test fails."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.gateway.firewall.netns import Topology


@pytest.fixture
def hotspot(tmp_path: Path) -> Iterator[Topology]:
    topology = Topology(bin_dir=tmp_path / "bin")
    try:
        topology.build()
        yield topology
    finally:
        topology.close()
