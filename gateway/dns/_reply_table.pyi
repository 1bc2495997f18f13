class ReplyTable:
    def __init__(self, max_entries: int) -> None: ...
    def __len__(self) -> int: ...
    def lookup(self, wire: bytes, now: float, /) -> tuple[bytes, str, str | None] | None: ...
    def store(
        self,
        question: bytes,
        has_opt: bool,
        reply: bytes,
        ttl_offsets: tuple[int, ...],
        stored: float,
        ttl: int | None,
        outcome: str,
        category: str | None,
        /,
    ) -> None: ...
    def clear(self) -> None: ...
