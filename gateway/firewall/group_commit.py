"""Group commit: many threads' small changes applied together, each caller waiting for its own.

A hundred phones pressing Connect at once would otherwise run a hundred `nft` processes one
after another (about 18 ms each here). The first caller leads: while it waits for the batch
before it to finish, everyone arriving joins its batch, and one command applies them all.
No timer, so a lone phone waits for nothing.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

Item = TypeVar("Item")


@dataclass
class _Batch(Generic[Item]):
    items: list[Item] = field(default_factory=list)
    led: bool = False
    done: bool = False
    error: BaseException | None = None


class GroupCommit(Generic[Item]):
    """Applies items in batches with `apply`; `submit` returns when its item is applied."""

    def __init__(self, apply: Callable[[list[Item]], None]) -> None:
        self.apply = apply
        self._changed = threading.Condition()
        self._applying = threading.Lock()  # one batch at a time: the next one fills meanwhile
        self._open: _Batch[Item] = _Batch()

    def submit(self, item: Item) -> None:
        """Apply `item` (with whatever else is waiting); raises the batch's error if it failed."""
        with self._changed:
            batch = self._open
            batch.items.append(item)
            leader = not batch.led
            batch.led = True
            if not leader:
                while not batch.done:
                    self._changed.wait()
        if leader:
            with self._applying:
                with self._changed:
                    self._open = _Batch()  # later arrivals start the next batch
                try:
                    self.apply(batch.items)
                except BaseException as exc:  # every caller in the batch learns of it
                    batch.error = exc
                with self._changed:
                    batch.done = True
                    self._changed.notify_all()
        if batch.error is not None:
            raise batch.error
