"""The portal's view of the session store: the interface run.py implements over store + firewall."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

AdmitResult = Literal["admitted", "already", "moved", "full"]

# Results after which the phone is online: "moved" is a known phone on a new DHCP address.
ONLINE_RESULTS: frozenset[AdmitResult] = frozenset({"admitted", "already", "moved"})


@dataclass(frozen=True)
class PortalAdmission:
    """The outcome of pressing Connect: what happened and how many phones are online now."""

    result: AdmitResult
    online: int

    @property
    def is_online(self) -> bool:
        """Whether the phone may use the internet after this admission."""
        return self.result in ONLINE_RESULTS


class PortalSessions(Protocol):
    """Who is online; admit() returns only once the firewall lets the phone through."""

    def admit(self, ip: str) -> PortalAdmission:
        """Admit the phone at ip, unless the hotspot is full."""
        ...

    def settle(self, ip: str) -> None:
        """Called once the reply to a successful admission has been sent.

        The firewall forgets the phone's captive-time connections here, not before: the reply
        itself may travel on one of them.
        """
        ...

    def is_admitted(self, ip: str) -> bool:
        """Whether the phone at ip is online now."""
        ...

    def seconds_remaining(self, ip: str) -> int | None:
        """Seconds until the session of ip ends; None when it has none."""
        ...

    def online(self) -> int:
        """How many phones are online now."""
        ...

    # A property, so that an adapter may implement it as a plain attribute or a property.
    @property
    def capacity(self) -> int:
        """How many phones may be online at once."""
        ...
