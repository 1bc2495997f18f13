"""`run_update` against a real HTTP server on loopback: conditional GET, guards, failures."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from filters.engine import BlocklistEngine
from filters.fetch import FetchLimits
from filters.sources import SourceSpec
from filters.staff import AuditLog
from filters.store import SnapshotStore, StoreError
from filters.update import UpdateResult, UpdateSettings, run_rollback, run_update
from filters.verdict import UNLISTED
from tests.filters.builders import TEST_NEVER_BLOCK
from tests.list_server import ListServer, Published, serve_lists

JUDI = "".join(f"slot{i}.judi.test\n" for i in range(100)).encode()


@pytest.fixture
def server() -> Iterator[ListServer]:
    with serve_lists() as running:
        yield running


def update(
    state_dir: Path,
    server: ListServer,
    paths: dict[str, str] | None = None,
    force: bool = False,
    max_bytes: int = 1 << 20,
    retries: int = 0,
    keep: int = 3,
) -> UpdateResult:
    paths = paths or {"judi": "/judi.txt"}
    sources = tuple(
        SourceSpec(name=name, url=server.url(path), category="gambling")
        for name, path in paths.items()
    )
    limits = FetchLimits(timeout=5, retries=retries, max_bytes=max_bytes, backoff=0.01)
    settings = UpdateSettings(state_dir, sources, keep_snapshots=keep, limits=limits)
    return run_update(settings, TEST_NEVER_BLOCK, user="tester", force=force)


def engine(state_dir: Path) -> BlocklistEngine:
    return BlocklistEngine(state_dir, never_block=TEST_NEVER_BLOCK)


def test_update_downloads_compiles_and_publishes(state_dir: Path, server: ListServer) -> None:
    server.lists["/judi.txt"] = Published(JUDI)
    result = update(state_dir, server)
    assert result.fetched == {"judi": f"downloaded {len(JUDI)} bytes"}
    assert result.meta["keys"] == 100
    verdict = engine(state_dir).lookup("www.slot7.judi.test")
    assert (verdict.blocked, verdict.source, verdict.category) == (True, "judi", "gambling")
    events = AuditLog(SnapshotStore(state_dir).audit_path).events()
    assert [e.action for e in events] == ["update"]


def test_second_update_uses_conditional_get_and_keeps_the_snapshot(
    state_dir: Path, server: ListServer
) -> None:
    server.lists["/judi.txt"] = Published(JUDI)
    first = update(state_dir, server)
    second = update(state_dir, server)
    assert server.statuses("/judi.txt") == [200, 304]
    assert second.fetched == {"judi": "not modified"}
    assert second.unchanged and second.snapshot == first.snapshot


def test_changed_list_is_downloaded_again(state_dir: Path, server: ListServer) -> None:
    server.lists["/judi.txt"] = Published(JUDI)
    update(state_dir, server)
    server.lists["/judi.txt"] = Published(JUDI + b"extra.judi.test\n", modified=1_800_000_000)
    result = update(state_dir, server)
    assert server.statuses("/judi.txt") == [200, 200]
    assert result.meta["keys"] == 101
    assert engine(state_dir).lookup("extra.judi.test").blocked


@pytest.mark.parametrize(
    "broken",
    [
        Published(b"", status=404),
        Published(JUDI + b"more.judi.test\n", truncate_to=100, modified=1_800_000_000),
        Published(b"x" * 5000 + b".test\n" + JUDI, modified=1_800_000_000),  # over max_bytes
    ],
    ids=["http-404", "cut-off-download", "over-size-cap"],
)
def test_failed_download_keeps_the_last_good_copy(
    state_dir: Path, server: ListServer, broken: Published
) -> None:
    server.lists["/judi.txt"] = Published(JUDI)
    update(state_dir, server)
    server.lists["/judi.txt"] = broken
    result = update(state_dir, server, max_bytes=len(JUDI) + 200)
    assert result.fetched["judi"].startswith("failed: ")
    assert engine(state_dir).lookup("slot42.judi.test").blocked
    assert result.unchanged  # nothing new arrived, so the snapshot in force stays


def test_a_publisher_that_hangs_times_out_and_the_last_good_copy_stays(
    state_dir: Path, server: ListServer
) -> None:
    server.lists["/judi.txt"] = Published(JUDI)
    update(state_dir, server)
    server.lists["/judi.txt"] = Published(JUDI + b"new.judi.test\n", stall=2.0, modified=2e9)
    sources = (SourceSpec(name="judi", url=server.url("/judi.txt"), category="gambling"),)
    limits = FetchLimits(timeout=0.3, retries=0)
    started = time.monotonic()
    result = run_update(
        UpdateSettings(state_dir, sources, limits=limits), TEST_NEVER_BLOCK, user="t"
    )
    assert time.monotonic() - started < 1.5
    assert "timed out" in result.fetched["judi"]
    assert engine(state_dir).lookup("slot1.judi.test").blocked


def test_transient_errors_are_retried_and_permanent_ones_are_not(
    state_dir: Path, server: ListServer
) -> None:
    server.lists["/judi.txt"] = Published(JUDI, fail_times=2)
    server.lists["/gone.txt"] = Published(b"", status=404)
    result = update(state_dir, server, {"judi": "/judi.txt", "gone": "/gone.txt"}, retries=3)
    assert server.statuses("/judi.txt") == [500, 500, 200]
    assert server.statuses("/gone.txt") == [404]
    assert result.fetched["judi"].startswith("downloaded")
    assert result.fetched["gone"].startswith("failed: ")


def test_source_that_shrinks_by_more_than_half_is_held_unless_forced(
    state_dir: Path, server: ListServer
) -> None:
    server.lists["/judi.txt"] = Published(JUDI)
    update(state_dir, server)
    shrunk = b"".join(JUDI.splitlines(keepends=True)[:40])
    server.lists["/judi.txt"] = Published(shrunk, modified=1_800_000_000)
    held = update(state_dir, server)
    assert "shrank from 100 to 40" in held.held["judi"]
    assert engine(state_dir).lookup("slot99.judi.test").blocked  # the old copy still applies
    forced = update(state_dir, server, force=True)
    assert forced.held == {} and forced.meta["keys"] == 40
    assert engine(state_dir).lookup("slot99.judi.test") is UNLISTED


def test_source_that_would_block_a_never_block_name_is_held(
    state_dir: Path, server: ListServer
) -> None:
    server.lists["/judi.txt"] = Published(JUDI)
    update(state_dir, server)
    server.lists["/judi.txt"] = Published(JUDI + b"apple.com\n", modified=1_800_000_000)
    held = update(state_dir, server)
    assert "captive.apple.com" in held.held["judi"]
    assert engine(state_dir).lookup("store.apple.com") is UNLISTED
    forced = update(state_dir, server, force=True)
    assert forced.warnings and "captive.apple.com" in forced.warnings[0]
    gateway = engine(state_dir)
    assert gateway.lookup("store.apple.com").blocked
    assert not gateway.lookup("captive.apple.com").blocked


def test_rollback_restores_the_previous_snapshot_and_is_audited(
    state_dir: Path, server: ListServer
) -> None:
    server.lists["/judi.txt"] = Published(b"first.test\n")
    update(state_dir, server)
    server.lists["/judi.txt"] = Published(b"second.test\n", modified=1_800_000_000)
    update(state_dir, server, force=True)
    assert engine(state_dir).lookup("second.test").blocked
    run_rollback(state_dir, user="tester")
    rolled = engine(state_dir)
    assert rolled.lookup("first.test").blocked
    assert rolled.lookup("second.test") is UNLISTED
    actions = [e.action for e in AuditLog(SnapshotStore(state_dir).audit_path).events()]
    assert actions == ["update", "update", "rollback"]
    with pytest.raises(StoreError, match="no older snapshot"):
        run_rollback(state_dir, user="tester")


def test_only_the_newest_snapshots_are_kept(state_dir: Path, server: ListServer) -> None:
    for i in range(4):
        server.lists["/judi.txt"] = Published(f"v{i}.test\n".encode(), modified=1e9 + i)
        update(state_dir, server, keep=2, force=True)
    store = SnapshotStore(state_dir)
    assert len(store.snapshots()) == 2
    assert store.current_path() == store.snapshots()[-1]
    assert not list(store.snapshots_dir.glob(".*"))


def test_file_sources_are_re_read_only_when_changed(state_dir: Path, tmp_path: Path) -> None:
    listing = tmp_path / "local.txt"
    listing.write_text("local.test\n")
    source = SourceSpec(name="local", url=f"file://{listing}", category="porn")
    settings = UpdateSettings(state_dir, (source,))
    first = run_update(settings, TEST_NEVER_BLOCK, user="t")
    second = run_update(settings, TEST_NEVER_BLOCK, user="t")
    assert first.fetched["local"].startswith("downloaded")
    assert second.fetched["local"] == "not modified" and second.unchanged
    listing.write_text("local.test\nother.test\n")
    third = run_update(settings, TEST_NEVER_BLOCK, user="t")
    assert third.meta["keys"] == 2
