"""Nothing is lost: an update killed at any moment, and a torn audit line, leave usable state."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from filters.engine import BlocklistEngine
from filters.snapshot import Snapshot
from filters.staff import AuditEvent, AuditLog, staff_entries
from filters.store import SnapshotStore
from tests.conftest import REPO, shared_list
from tests.filters.builders import TEST_NEVER_BLOCK, publish_lists, spec

REAL_LISTS = [
    ("trustpositif", "trustpositif-domains-sample.txt"),
    ("judi", "judi-indonesia-sample.txt"),
    ("nsfw", "hagezi-nsfw-domains.txt"),
    ("light", "hagezi-light-multi.rpz"),
]


def write_config(path: Path, state_dir: Path) -> None:
    sources = "".join(
        f'[[blocklists.sources]]\nname = "{name}"\nurl = "file://{shared_list(file)}"\n'
        'category = "porn"\n'
        for name, file in REAL_LISTS
    )
    path.write_text(f'[blocklists]\nstate_dir = "{state_dir}"\n{sources}')


def start_update(config: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "gateway", "blocklist", "update", "--config", str(config),
         "--quiet", "--user", "killer"],
        cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip


def assert_consistent(state_dir: Path) -> str:
    """The current snapshot loads and answers as either the old or the new one, never half."""
    current = SnapshotStore(state_dir).current_path()
    assert current is not None and current.exists()
    Snapshot(current)  # raises on a truncated or damaged file
    engine = BlocklistEngine(state_dir, never_block=TEST_NEVER_BLOCK)
    old = engine.lookup("www.old-list.test").blocked
    new = engine.lookup("www.09bad.vip").blocked and engine.lookup("smetrics.abbott").blocked
    assert old != new, "the snapshot in force must be wholly old or wholly new"
    return "old" if old else "new"


def test_update_killed_at_any_moment_leaves_a_loadable_snapshot(
    state_dir: Path, tmp_path: Path
) -> None:
    publish_lists(state_dir, [(spec("old"), "old-list.test\n")], TEST_NEVER_BLOCK)
    config = tmp_path / "gateway.toml"
    write_config(config, state_dir)
    seen = set()
    for delay in (0.05, 0.2, 0.4, 0.7, 1.0, 1.3, 1.6, 2.0):
        proc = start_update(config)
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        seen.add(assert_consistent(state_dir))
    finished = start_update(config)
    assert finished.wait(timeout=120) == 0
    assert assert_consistent(state_dir) == "new"
    assert "old" in seen  # at least one kill landed before the swap
    leftovers = [p.name for p in SnapshotStore(state_dir).snapshots_dir.iterdir()]
    assert all(not n.startswith(".") for n in leftovers), leftovers


def test_audit_log_survives_a_torn_last_line(state_dir: Path) -> None:
    audit = AuditLog(state_dir / "audit.jsonl")
    audit.append(AuditEvent("2026-11-23T01:00:00Z", "ani", "add", "a.test", "porn", "why"))
    with audit.path.open("ab") as fh:  # a crash half-way through writing the next event
        fh.write(b'{"time":"2026-11-23T01:01:00Z","user":"budi","action":"add","na')
    audit.append(AuditEvent("2026-11-23T01:02:00Z", "citra", "allow", "b.test", None, "fp"))
    events = audit.events()
    assert [e.user for e in events] == ["ani", "citra"]
    assert set(staff_entries(events)) == {"a.test", "b.test"}


def test_staff_edit_is_seen_by_other_processes_once_appended(state_dir: Path) -> None:
    """The journal is the shared truth: a new process replays the edit from disk."""
    audit = AuditLog(state_dir / "audit.jsonl")
    audit.append(AuditEvent("2026-11-23T01:00:00Z", "ani", "add", "durable.test", "porn", "x"))
    code = (
        "from pathlib import Path; from filters.staff import AuditLog, staff_entries;"
        f"print(sorted(staff_entries(AuditLog(Path({str(audit.path)!r})).events())))"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True,
                         check=True, timeout=60, env={**os.environ})  # fmt: skip
    assert out.stdout.strip() == "['durable.test']"
