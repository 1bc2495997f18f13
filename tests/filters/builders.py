"""Build real snapshots from small inline lists, through the real compiler and store."""

from __future__ import annotations

from pathlib import Path

from filters.compiler import CompileInput, compile_snapshot
from filters.engine import BlocklistEngine
from filters.never_block import NeverBlock
from filters.sources import SourceSpec
from filters.store import SnapshotStore

TEST_NEVER_BLOCK = NeverBlock(
    ["captive.apple.com", "connectivitycheck.gstatic.com", "bank.example"]
)


def spec(name: str, category: str = "porn", fmt: str = "auto", action: str = "block") -> SourceSpec:
    return SourceSpec(name=name, url=f"file:///lists/{name}", category=category, format=fmt,
                      action=action)  # fmt: skip


def publish_lists(
    state_dir: Path,
    lists: list[tuple[SourceSpec, str]],
    never_block: NeverBlock = TEST_NEVER_BLOCK,
    snapshot_id: str | None = None,
) -> Path:
    """Compile (spec, text) lists in order and make the result the current snapshot."""
    store = SnapshotStore(state_dir)
    store.ensure()
    inputs = []
    for source, text in lists:
        path = store.source_copy(source.name)  # where explain() looks for line numbers
        path.write_text(text, encoding="utf-8")
        inputs.append(CompileInput(spec=source, candidate=None, last_good=path))
    tmp = store.new_snapshot_temp()
    meta = compile_snapshot(inputs, never_block, tmp, snapshot_id=snapshot_id)
    return store.publish(tmp, meta["id"])


def engine_for(
    state_dir: Path, lists: list[tuple[SourceSpec, str]], never_block: NeverBlock = TEST_NEVER_BLOCK
) -> BlocklistEngine:
    publish_lists(state_dir, lists, never_block)
    return BlocklistEngine(state_dir, never_block=never_block)
