"""A fleet in miniature: a publisher with list files, its https server, and one gateway."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from filters.bundles.publish import PublishResult, run_publish
from filters.bundles.receive import ReceiveResult, ReceiveSettings, run_receive
from filters.engine import BlocklistEngine
from filters.fetch import FetchLimits
from filters.sources import SourceSpec
from filters.staff import AuditLog
from filters.store import SnapshotStore
from filters.update import UpdateSettings
from tests.filters.builders import TEST_NEVER_BLOCK
from tests.filters.bundles.https_publisher import HttpsPublisher, serve_publisher

JUDI = [f"slot{i:03d}.judi.test" for i in range(300)]
PORN = [f"site{i:03d}.porn.test" for i in range(200)]


@dataclass
class Fleet:
    """The publisher's lists, keys and output; one gateway's state directory."""

    tmp: Path
    private: Ed25519PrivateKey
    server: HttpsPublisher
    writes: int = 0

    @property
    def out(self) -> Path:
        return self.server.root

    @property
    def gateway(self) -> Path:
        return self.tmp / "gateway"

    def write_list(self, name: str, names: list[str]) -> None:
        (self.tmp / "lists").mkdir(exist_ok=True)
        path = self.tmp / "lists" / f"{name}.txt"
        path.write_text("".join(f"{n}\n" for n in names))
        # A file source counts as changed by its mtime, to the second: make each write count.
        self.writes += 1
        os.utime(path, (1_700_000_000 + self.writes, 1_700_000_000 + self.writes))

    def publish(self, version: int | None = None) -> PublishResult:
        sources = tuple(
            SourceSpec(name=p.stem, url=f"file://{p}", category=p.stem, format="domains")
            for p in sorted((self.tmp / "lists").glob("*.txt"))
        )
        settings = UpdateSettings(self.tmp / "publisher", sources)
        return run_publish(settings, TEST_NEVER_BLOCK, self.private, self.out, user="pusat",
                           version=version)  # fmt: skip

    def settings(self, key: Ed25519PrivateKey | None = None) -> ReceiveSettings:
        limits = FetchLimits(timeout=5, retries=0, backoff=0.01)
        public = (key or self.private).public_key()
        return ReceiveSettings(self.gateway, self.server.url, public, self.server.tls(),
                               limits=limits)  # fmt: skip

    def receive(self, key: Ed25519PrivateKey | None = None) -> ReceiveResult:
        return run_receive(self.settings(key), TEST_NEVER_BLOCK, user="gateway")

    def blocked(self, name: str) -> bool:
        return BlocklistEngine(self.gateway, never_block=TEST_NEVER_BLOCK).lookup(name).blocked

    def snapshot(self) -> Path | None:
        return SnapshotStore(self.gateway).current_path()

    def audit(self) -> list[tuple[str, str]]:
        events = AuditLog(SnapshotStore(self.gateway).audit_path).events()
        return [(e.action, e.detail or "") for e in events]


@pytest.fixture
def fleet(tmp_path: Path) -> Iterator[Fleet]:
    out = tmp_path / "out"
    out.mkdir()
    with serve_publisher(out, tmp_path) as server:
        made = Fleet(tmp_path, Ed25519PrivateKey.generate(), server)
        made.write_list("gambling", JUDI)
        made.write_list("porn", PORN)
        yield made
