from collections.abc import Callable
from typing import Any

class FastAnswers:
    def __init__(
        self,
        lookup: Callable[[bytes, float], tuple[bytes, str, str | None] | None],
        answered: dict[str, int],
        blocked: dict[str, int],
        skip_names: tuple[bytes, ...],
        mode: int,
        a_record: bytes,
        aaaa_record: bytes,
        soa_tail: bytes,
        /,
    ) -> None: ...
    def use(
        self,
        match_both: Any,
        overlay: Any,
        pairs: bytes,
        attr_category: bytes,
        categories: tuple[str, ...],
        opts: tuple[bytes, ...],
        /,
    ) -> None: ...
    def answer(self, wire: bytes, now: float, /) -> bytes | None: ...
