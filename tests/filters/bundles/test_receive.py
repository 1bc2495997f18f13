"""A gateway against a real https publisher on loopback: installs, deltas, and every refusal.

In each refusal the snapshot in force stays as it was, lookups answer as before, and the
refusal is in the audit log with its reason.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from filters.bundles.format import MAGIC
from filters.bundles.index import BundleFile, Index, read_index, signed_index
from filters.bundles.receive import BundleRefused, run_receive, version_in_force
from filters.compiler import file_sha256
from filters.store import SnapshotStore
from tests.filters.builders import TEST_NEVER_BLOCK
from tests.filters.bundles.conftest import JUDI, Fleet


def installed_v1(fleet: Fleet) -> None:
    fleet.publish()
    fleet.receive()
    assert fleet.blocked("www.slot001.judi.test")


def refused(fleet: Fleet, reason: str) -> None:
    before = fleet.snapshot()
    with pytest.raises(BundleRefused, match=reason):
        fleet.receive()
    assert fleet.snapshot() == before
    assert fleet.blocked("slot001.judi.test") and not fleet.blocked("baru.judi.test")
    action, detail = fleet.audit()[-1]
    assert action == "bundle-refused" and detail


def publish_v2(fleet: Fleet) -> None:
    fleet.write_list("gambling", [*JUDI[2:], "baru.judi.test"])
    fleet.publish()


def resign_index(fleet: Fleet, name: str) -> None:
    """Have the index name `name` as it now is: isolates the checks behind the index's."""
    public = fleet.private.public_key()
    index = read_index((fleet.out / "index.json").read_bytes(), public)
    path = fleet.out / name
    base = next((d.base for d in index.deltas if d.file == name), None)
    named = BundleFile(name, path.stat().st_size, file_sha256(path), base)
    if base is None:
        index = dataclasses.replace(index, full=named, deltas=())
    else:
        index = dataclasses.replace(index, deltas=(named,))
    (fleet.out / "index.json").write_bytes(signed_index(index, fleet.private))


def flip(fleet: Fleet, name: str, offset: int) -> None:
    data = bytearray((fleet.out / name).read_bytes())
    data[offset] ^= 0x01
    (fleet.out / name).write_bytes(bytes(data))


def test_first_install_takes_the_full_bundle(fleet: Fleet) -> None:
    fleet.publish()
    result = fleet.receive()
    assert result.version == 1 and result.installed and result.installed.file == "bundle-1.full"
    assert fleet.server.requests == ["index.json", "bundle-1.full"]
    assert fleet.blocked("www.slot042.judi.test") and fleet.blocked("site7.porn.test") is False
    assert fleet.blocked("site007.porn.test")
    assert fleet.audit()[-1][1].startswith("bundle 1 (full, ")
    assert version_in_force(fleet.gateway, fleet.private.public_key()) == 1


def test_a_delta_is_applied_and_rebuilds_the_publishers_lists(fleet: Fleet) -> None:
    installed_v1(fleet)
    publish_v2(fleet)
    result = fleet.receive()
    assert result.installed and result.installed.file == "bundle-2.delta-from-1"
    assert fleet.server.requests[-2:] == ["index.json", "bundle-2.delta-from-1"]
    assert fleet.blocked("baru.judi.test") and not fleet.blocked("slot001.judi.test")
    gateway, publisher = SnapshotStore(fleet.gateway), SnapshotStore(fleet.tmp / "publisher")
    for name in ("gambling", "porn"):
        assert file_sha256(gateway.source_copy(name)) == file_sha256(publisher.source_copy(name))
    assert not [p for p in gateway.sources_dir.iterdir() if p.name.startswith(".")]


def test_the_same_version_again_changes_nothing(fleet: Fleet) -> None:
    installed_v1(fleet)
    before = fleet.snapshot()
    assert fleet.receive().installed is None
    assert fleet.snapshot() == before and len(fleet.audit()) == 1


def test_a_gateway_whose_copy_differs_takes_the_full_bundle(fleet: Fleet) -> None:
    installed_v1(fleet)
    SnapshotStore(fleet.gateway).source_copy("gambling").write_text("lain.test\n")
    publish_v2(fleet)
    result = fleet.receive()
    assert result.installed and result.installed.file == "bundle-2.full"
    assert fleet.blocked("baru.judi.test")


def test_a_delta_that_cannot_be_fetched_gives_way_to_the_full_bundle(fleet: Fleet) -> None:
    installed_v1(fleet)
    publish_v2(fleet)
    (fleet.out / "bundle-2.delta-from-1").unlink()
    result = fleet.receive()
    assert result.installed and result.installed.file == "bundle-2.full"
    assert fleet.blocked("baru.judi.test")


def test_an_older_index_is_refused_as_a_rollback(fleet: Fleet) -> None:
    fleet.publish()
    old = fleet.tmp / "old"
    shutil.copytree(fleet.out, old)
    fleet.receive()
    publish_v2(fleet)
    fleet.receive()
    assert fleet.blocked("baru.judi.test")
    shutil.rmtree(fleet.out)
    shutil.copytree(old, fleet.out)  # an attacker replays version 1, validly signed
    before = fleet.snapshot()
    with pytest.raises(BundleRefused, match=r"rollback: .* version 1, older than version 2"):
        fleet.receive()
    assert fleet.snapshot() == before and fleet.blocked("baru.judi.test")
    assert fleet.audit()[-1][0] == "bundle-refused"


def test_an_index_past_its_expiry_is_refused_and_the_lists_stay(fleet: Fleet) -> None:
    installed_v1(fleet)
    publish_v2(fleet)
    index = read_index((fleet.out / "index.json").read_bytes(), fleet.private.public_key())
    expires = datetime.strptime(index.expires, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    before = fleet.snapshot()
    # A frozen publisher, or its last index replayed, a week and more later.
    late = dataclasses.replace(fleet.settings(), clock=lambda: expires + timedelta(seconds=1))
    with pytest.raises(BundleRefused, match=r"index.json expired at .*daily `blocklist publish`"):
        run_receive(late, TEST_NEVER_BLOCK, user="gateway")
    assert fleet.snapshot() == before and not fleet.blocked("baru.judi.test")
    assert fleet.audit()[-1][0] == "bundle-refused"
    assert fleet.receive().installed is not None  # in time, the same index is taken


def test_an_old_bundle_under_a_new_index_is_refused(fleet: Fleet) -> None:
    installed_v1(fleet)
    publish_v2(fleet)
    shutil.copy(fleet.out / "bundle-1.full", fleet.out / "bundle-2.full")
    resign_index(fleet, "bundle-2.full")
    refused(fleet, "holds version 1 from None, not version 2")


def test_a_truncated_download_is_refused(fleet: Fleet) -> None:
    installed_v1(fleet)
    publish_v2(fleet)
    fleet.server.cut_short["bundle-2.delta-from-1"] = 100
    fleet.server.cut_short["bundle-2.full"] = 100  # else it is fetched in the delta's place
    refused(fleet, "download failed: .*bundle-2.full: download cut off at 100")
    assert fleet.server.requests[-2:] == ["bundle-2.delta-from-1", "bundle-2.full"]


def test_a_bundle_cut_short_on_the_server_is_refused(fleet: Fleet) -> None:
    installed_v1(fleet)
    publish_v2(fleet)
    path = fleet.out / "bundle-2.delta-from-1"
    path.write_bytes(path.read_bytes()[:-10])
    refused(fleet, "not the file index.json names")
    resign_index(fleet, "bundle-2.delta-from-1")
    refused(fleet, "payload is .* bytes where the header says")


@pytest.mark.parametrize("where", ["header", "payload"])
@pytest.mark.parametrize("name", ["bundle-2.full", "bundle-2.delta-from-1"])
def test_a_tampered_bundle_is_refused(fleet: Fleet, where: str, name: str) -> None:
    installed_v1(fleet)
    publish_v2(fleet)
    if name.endswith(".full"):
        (fleet.out / "bundle-2.delta-from-1").unlink()  # so the gateway takes the full one
    flip(fleet, name, len(MAGIC) + 20 if where == "header" else -20)
    refused(fleet, "not the file index.json names")  # the index's checksum catches it first
    resign_index(fleet, name)  # and the bundle's own checks, when the index is fooled too
    refused(fleet, "signature does not verify" if where == "header" else "checksum")


def test_an_unsigned_bundle_is_refused(fleet: Fleet) -> None:
    installed_v1(fleet)
    publish_v2(fleet)
    path = fleet.out / "bundle-2.full"
    data = path.read_bytes()
    header_end = len(MAGIC) + 4 + int.from_bytes(data[len(MAGIC) : len(MAGIC) + 4], "big")
    path.write_bytes(data[:header_end] + bytes(64) + data[header_end + 64 :])
    resign_index(fleet, "bundle-2.full")
    refused(fleet, "bundle-2.full: its signature does not verify")


def test_a_tampered_or_unsigned_index_is_refused(fleet: Fleet) -> None:
    installed_v1(fleet)
    publish_v2(fleet)
    envelope = json.loads((fleet.out / "index.json").read_text())
    envelope["signed"] = envelope["signed"].replace('"version":2', '"version":9')
    (fleet.out / "index.json").write_text(json.dumps(envelope))
    refused(fleet, "index.json: its signature does not verify")
    del envelope["signature"]
    (fleet.out / "index.json").write_text(json.dumps(envelope))
    refused(fleet, "index.json is not a signed index")


def test_an_index_signed_with_another_key_is_refused(fleet: Fleet) -> None:
    installed_v1(fleet)
    publish_v2(fleet)
    refused_key = Ed25519PrivateKey.generate()
    before = fleet.snapshot()
    with pytest.raises(BundleRefused, match="signature does not verify"):
        fleet.receive(key=refused_key)
    assert fleet.snapshot() == before


def test_an_index_naming_a_file_elsewhere_is_refused(fleet: Fleet) -> None:
    installed_v1(fleet)
    full = BundleFile("../../etc/passwd", 10, "0" * 64)
    index = Index(version=5, created="2026-01-01T00:00:00Z", full=full)
    (fleet.out / "index.json").write_bytes(signed_index(index, fleet.private))
    refused(fleet, "unexpected file")
