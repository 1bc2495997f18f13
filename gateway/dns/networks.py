"""Fast "is this client address in these networks?" for per-query checks."""

from __future__ import annotations

import netaddr

MEMO_LIMIT = 65_536


class NetworkSet:
    """A set of networks whose membership answers are memoised per address.

    netaddr's set test costs microseconds and a hotspot has a few hundred addresses at most,
    so each address is worked out once.
    """

    def __init__(self, networks: tuple[str, ...]) -> None:
        self._networks = netaddr.IPSet(networks)
        self._memo: dict[str, bool] = {}

    @property
    def known(self) -> dict[str, bool]:
        """The answers worked out so far, by address text: a dict lookup for the hot path."""
        return self._memo

    def __contains__(self, address: object) -> bool:
        key = str(address)
        verdict = self._memo.get(key)
        if verdict is None:
            if len(self._memo) >= MEMO_LIMIT:
                self._memo.clear()  # bounded, whatever addresses are thrown at it
            try:
                verdict = key in self._networks
            except (netaddr.AddrFormatError, ValueError):
                verdict = False
            self._memo[key] = verdict
        return verdict
