from collections.abc import Callable
from typing import Any

class UdpLane:
    def __init__(
        self,
        fd: int,
        known: dict[str, bool],
        answer: Callable[[bytes, float], bytes | None],
        clock: Callable[[], float],
        lists: object,
        sync: Callable[[], None],
        allow: Callable[[str], bool] | None,
        exempt: object,
        counters: object,
        rest: Callable[[list[Any]], None],
        /,
    ) -> None: ...
    def __call__(self) -> None: ...
