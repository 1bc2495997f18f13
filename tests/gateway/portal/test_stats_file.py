"""The portal's counters on disk: written whole, read back, summed up for staff in one line."""

from __future__ import annotations

from pathlib import Path

from gateway.portal.probes import OS_FAMILIES
from gateway.portal.stats_file import read_stats, stats_path, stats_summary, write_stats


def test_counts_round_trip_and_a_missing_or_broken_file_reads_as_none(tmp_path: Path) -> None:
    path = stats_path(tmp_path)
    assert read_stats(path) is None
    write_stats(path, {"probes_android": 3, "splash_views": 2})
    assert read_stats(path) == {"probes_android": 3, "splash_views": 2}
    path.write_text("{not json")
    assert read_stats(path) is None


def test_the_summary_names_every_os_family_in_both_languages() -> None:
    line = stats_summary({"probes_android": 4, "splash_views": 9, "splash_then_online": 7},
                         OS_FAMILIES)  # fmt: skip
    assert "android 4" in line and "apple 0" in line and "since start" in line
    assert "sejak mulai" in line and "then online 7" in line
