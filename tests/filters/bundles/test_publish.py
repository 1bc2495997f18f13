"""The publisher: versions, deltas only where smaller, a signed index, old files pruned."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from filters.bundles.index import INDEX_NAME, read_index, signed_index
from filters.bundles.publish import DELTA_BASES, PublishError
from filters.bundles.unpack import open_verified
from filters.staff import AuditLog
from filters.store import SnapshotStore
from tests.filters.bundles.conftest import JUDI, Fleet


def test_first_publish_is_version_one_with_a_full_bundle(fleet: Fleet) -> None:
    result = fleet.publish()
    assert (result.version, result.changed, result.deltas) == (1, True, ())
    index = read_index((fleet.out / "index.json").read_bytes(), fleet.private.public_key())
    assert (index.version, index.full.file) == (1, "bundle-1.full")
    header = open_verified(fleet.out / "bundle-1.full", fleet.private.public_key()).header
    assert [(p.name, p.entries, p.encoding) for p in header.sources] == [
        ("gambling", 300, "full"), ("porn", 200, "full")
    ]  # fmt: skip
    events = AuditLog(SnapshotStore(fleet.tmp / "publisher").audit_path).events()
    assert [e.action for e in events] == ["update", "publish"]
    assert events[-1].detail and events[-1].detail.startswith("bundle 1: 500 names from 2 lists")


def test_unchanged_lists_make_no_new_version(fleet: Fleet) -> None:
    fleet.publish()
    again = fleet.publish()
    assert (again.version, again.changed) == (1, False)
    assert sorted(p.name for p in fleet.out.iterdir()) == ["bundle-1.full", "index.json"]


def test_every_publish_renews_the_index_s_expiry_even_when_nothing_changed(
    fleet: Fleet,
) -> None:
    fleet.publish()
    public = fleet.private.public_key()
    first = read_index((fleet.out / INDEX_NAME).read_bytes(), public)
    assert first.expires > first.created
    # As if the last publish was long ago: the stored index carries an old expiry.
    stale = replace(first, expires="2026-01-01T00:00:00Z")
    (fleet.out / INDEX_NAME).write_bytes(signed_index(stale, fleet.private))
    assert fleet.publish().changed is False
    renewed = read_index((fleet.out / INDEX_NAME).read_bytes(), public)
    assert renewed.version == 1 and renewed.expires > stale.expires


def test_a_small_change_is_published_as_a_smaller_delta(fleet: Fleet) -> None:
    fleet.publish()
    fleet.write_list("gambling", [*JUDI[1:], "baru.judi.test"])
    second = fleet.publish()
    (delta,) = second.deltas
    assert (second.version, delta.file, delta.base) == (2, "bundle-2.delta-from-1", 1)
    assert delta.size < second.full.size
    header = open_verified(fleet.out / delta.file, fleet.private.public_key()).header
    assert (header.kind, header.base) == ("delta", 1)
    assert {p.name: p.encoding for p in header.sources} == {"gambling": "delta", "porn": "same"}


def test_a_rewritten_list_gets_no_delta_and_old_files_are_pruned(fleet: Fleet) -> None:
    for day in range(DELTA_BASES + 3):
        fleet.write_list("gambling", [f"day{day}-{n}" for n in JUDI])  # every line changes
        result = fleet.publish()
        assert all(d.size < result.full.size for d in result.deltas)
    names = sorted(p.name for p in fleet.out.iterdir())
    fulls = [n for n in names if n.endswith(".full")]
    assert len(fulls) == DELTA_BASES + 1 and f"bundle-{DELTA_BASES + 3}.full" in fulls
    assert all(n.startswith(f"bundle-{DELTA_BASES + 3}.") for n in names if "delta" in n)
    assert not [n for n in names if n.startswith(".")]


def test_an_explicit_version_must_be_above_the_published_one(fleet: Fleet) -> None:
    fleet.publish(version=40)
    with pytest.raises(PublishError, match="not above 40"):
        fleet.publish(version=40)
    fleet.write_list("gambling", JUDI[:-1])
    assert fleet.publish().version == 41


def test_an_output_directory_of_another_key_is_refused(fleet: Fleet) -> None:
    fleet.publish()
    before = (fleet.out / "index.json").read_bytes()
    fleet.private = Ed25519PrivateKey.generate()
    with pytest.raises(PublishError, match="not published with this key"):
        fleet.publish()
    assert (fleet.out / "index.json").read_bytes() == before
    assert json.loads(before)["signature"]
