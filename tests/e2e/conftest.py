"""The hotspot fixture: namespaces, the fake internet, and `hotspot-gateway run` for real."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from gateway.demo.netns import Topology
from gateway.demo.simulation import PORTAL, HotspotSettings, SimulatedHotspot, build_hotspot

__all__ = ["LISTS", "PORTAL", "Hotspot", "make_hotspot", "needs_root_tools"]

Hotspot = SimulatedHotspot
LISTS = {"judi": ("gambling", "judi.test\nexample.test/slot-gacor\n")}

needs_root_tools = pytest.mark.skipif(
    any(shutil.which(tool) is None for tool in ("ip", "nft", "conntrack")),
    reason="needs iproute2, nftables and conntrack (make test installs them)",
)


@pytest.fixture
def make_hotspot(tmp_path: Path) -> Iterator[Callable[..., Hotspot]]:
    """Build a topology and start the gateway; everything is torn down after the test."""
    topologies: list[Topology] = []

    def make(**settings: Any) -> Hotspot:
        topo = Topology()
        topologies.append(topo)
        return build_hotspot(tmp_path, topo, LISTS, HotspotSettings(**settings), "tests.e2e.phone")

    try:
        yield make
    finally:
        for topo in topologies:
            topo.close()
