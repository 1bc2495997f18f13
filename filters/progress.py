"""Progress for long staff commands: bars on a terminal, plain stage lines everywhere."""

from __future__ import annotations

import sys
from typing import Any, TextIO

from tqdm import tqdm


class _NoBar:
    def update(self, n: int = 1) -> None:
        """Nothing to draw."""

    def close(self) -> None:
        """Nothing to close."""


class Progress:
    """Writes stage lines to a stream; draws tqdm bars only when that stream is a terminal."""

    def __init__(self, enabled: bool = True, stream: TextIO | None = None) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = enabled
        self.bars = enabled and self.stream.isatty()

    def say(self, message: str) -> None:
        """One line about what is happening now."""
        if self.enabled:
            print(message, file=self.stream, flush=True)

    def counter(self, desc: str, total: int | None = None, unit: str = "") -> Any:
        """A bar to `update(n)` and `close()`; a no-op off a terminal."""
        if not self.bars:
            return _NoBar()
        return tqdm(
            desc=desc, total=total, unit=unit, unit_scale=True, file=self.stream, leave=False
        )
