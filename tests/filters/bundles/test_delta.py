"""Line deltas rebuild the new copy exactly, stay small for a day's change, and refuse misfits."""

from __future__ import annotations

import io
import lzma
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from filters.bundles.delta import DeltaError, apply_delta, make_delta, split_lines


def applied(old: bytes, script: bytes) -> bytes:
    out = io.BytesIO()
    apply_delta(old, script, out)
    return out.getvalue()


# Lines drawn from a small alphabet repeat often, and may start with the script's own marks.
LINES = st.lists(st.binary(max_size=6).map(lambda b: b.replace(b"\n", b"=")), max_size=40)


@settings(max_examples=400, deadline=None)
@given(LINES, LINES, st.booleans(), st.booleans())
def test_apply_of_delta_rebuilds_any_new_copy(
    old: list[bytes], new: list[bytes], old_ends: bool, new_ends: bool
) -> None:
    before = b"\n".join(old) + (b"\n" if old_ends else b"")
    after = b"\n".join(new) + (b"\n" if new_ends else b"")
    assert applied(before, make_delta(before, after)) == after


def test_split_lines_keeps_every_byte() -> None:
    assert split_lines(b"a\n\nb") == [b"a\n", b"\n", b"b"]
    assert split_lines(b"a\n") == [b"a\n"] and split_lines(b"") == []


def test_script_names_only_what_changed() -> None:
    old = b"".join(b"n%d.test\n" % i for i in range(10))
    new = old.replace(b"n3.test\n", b"").replace(b"n7.test\n", b"n7.test\nbaru.test\n")
    assert make_delta(old, new) == b"=3\n>1\n=4\n+baru.test\n=2\n"
    assert make_delta(old, old) == b"=10\n"


def test_a_reordered_file_is_rebuilt() -> None:
    old = b"a\nb\nc\nd\n"
    new = b"d\nc\nb\na\n"
    assert applied(old, make_delta(old, new)) == new


def test_a_day_of_changes_to_a_big_list_is_a_small_script() -> None:
    rng = random.Random(7)
    names = sorted(f"{rng.getrandbits(48):x}.judi{i % 97}.test" for i in range(200_000))
    changed = list(names)
    for index in sorted(rng.sample(range(len(changed)), 500), reverse=True):
        del changed[index]
    changed.extend(f"{rng.getrandbits(48):x}.baru.test" for _ in range(500))
    changed.sort()
    old, new = ("".join(f"{n}\n" for n in x).encode() for x in (names, changed))
    script = make_delta(old, new)
    assert applied(old, script) == new
    full, delta = len(lzma.compress(new)), len(lzma.compress(script))
    assert delta * 50 < full, (delta, full)


@pytest.mark.parametrize(
    ("script", "reason"),
    [
        (b"=4\n", "past the old copy's end"),
        (b">-1\n", "outside the old copy"),
        (b">9\n", "outside the old copy"),
        (b"=0\n", "past the old copy's end"),
        (b"?x\n", "not one of"),
        (b"!last\n=1\n", "not one of"),  # a line without a newline only at the end
        (b"=1", "does not end with a newline"),
    ],
)
def test_a_script_that_does_not_fit_is_refused(script: bytes, reason: str) -> None:
    with pytest.raises(DeltaError, match=reason):
        applied(b"a\nb\nc\n", script)
