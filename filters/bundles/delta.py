"""Line deltas between two copies of a list file, rebuilding the new copy byte for byte.

A file is a sequence of lines, each with its newline (the last may lack one). A delta is a
script of one-line operations on a cursor into the old copy:

    =N      copy N old lines from the cursor, moving it past them
    >D      move the cursor by D lines (positive: old lines left out; negative: reordered ones)
    +TEXT   a new line TEXT followed by a newline
    !TEXT   a new last line TEXT without a newline

Lists change by a few lines a day at scattered places (they are often sorted), so a day's
script is a few thousand short lines that compress to a few kilobytes. Any change, including
reordering, yields a correct script; the caller checks the result against the SHA-256 it expects.
"""

from __future__ import annotations

from array import array
from typing import BinaryIO


class DeltaError(ValueError):
    """A delta does not fit the old copy it is applied to."""


def split_lines(data: bytes) -> list[bytes]:
    """The lines of `data`, each with its newline; joined they give `data` back."""
    parts = data.split(b"\n")
    lines = [part + b"\n" for part in parts[:-1]]
    if parts[-1]:
        lines.append(parts[-1])
    return lines


def make_delta(old: bytes, new: bytes) -> bytes:
    """The script that turns `old` into `new`."""
    old_lines = split_lines(old)
    first_seen: dict[bytes, int] = {}
    for number, line in enumerate(old_lines):
        first_seen.setdefault(line, number)
    script: list[bytes] = []
    cursor = 0  # where the pending copy starts in the old copy
    run = 0  # old lines matched in sequence from the cursor, not yet written out
    for line in split_lines(new):
        here = cursor + run
        if here < len(old_lines) and old_lines[here] == line:
            run += 1  # checked first, so repeated lines (blank, comments) copy in place
            continue
        if run:
            script.append(b"=%d\n" % run)
            cursor, run = here, 0
        found = first_seen.get(line)
        if found is None:
            script.append(b"+" + line if line.endswith(b"\n") else b"!" + line + b"\n")
            continue
        script.append(b">%d\n" % (found - cursor))
        cursor, run = found, 1
    if run:
        script.append(b"=%d\n" % run)
    return b"".join(script)


def _line_starts(data: bytes) -> array[int]:
    """Offsets where each line starts, then len(data): line i is data[s[i]:s[i+1]]."""
    starts = array("q", [0])
    find, end = data.find, len(data)
    position = find(b"\n")
    while position >= 0:
        starts.append(position + 1)
        position = find(b"\n", position + 1)
    if starts[-1] != end:
        starts.append(end)
    return starts


def apply_delta(old: bytes, delta: bytes, out: BinaryIO) -> None:
    """Write the new copy that `delta` makes of `old` to `out`; DeltaError if it cannot."""
    starts = _line_starts(old)
    total = len(starts) - 1
    cursor = 0
    operations = delta.split(b"\n")
    if operations[-1] != b"":
        raise DeltaError("the delta does not end with a newline")
    last = len(operations) - 2
    for number, operation in enumerate(operations[:-1]):
        kind, argument = operation[:1], operation[1:]
        if kind == b"+":
            out.write(argument + b"\n")
        elif kind == b"!" and number == last:
            out.write(argument)
        elif kind in (b"=", b">") and argument.lstrip(b"-").isdigit():
            count = int(argument)
            if kind == b">":
                cursor += count
                if not 0 <= cursor <= total:
                    raise DeltaError(f"operation {number + 1} moves outside the old copy")
                continue
            if count <= 0 or cursor + count > total:
                raise DeltaError(f"operation {number + 1} copies past the old copy's end")
            out.write(old[starts[cursor] : starts[cursor + count]])
            cursor += count
        else:
            raise DeltaError(f"operation {number + 1} is not one of = > + !")
