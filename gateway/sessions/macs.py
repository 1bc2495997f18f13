"""MAC addresses as the session store keeps them: one spelling, and whether the phone made it up."""

from __future__ import annotations

import re

from netaddr import EUI, AddrFormatError, mac_unix_expanded

# netaddr also reads a bare integer ("1" is 00:00:00:00:00:01); a typed or pasted MAC has
# separators or all twelve hex digits, so anything shorter without separators is junk here.
_BARE_HEX = re.compile(r"[0-9A-Fa-f]+")
_LOCALLY_ADMINISTERED = 0x02


def normalise_mac(text: str) -> str:
    """A 48-bit MAC in lowercase colon form (aa:bb:cc:dd:ee:ff); ValueError on anything else."""
    cleaned = text.strip()
    if _BARE_HEX.fullmatch(cleaned) and len(cleaned) != 12:
        raise ValueError(f"not a MAC address: {text!r}")
    try:
        eui = EUI(cleaned)
        if eui.version != 48:
            raise ValueError(f"not a 48-bit MAC address: {text!r}")
        return str(EUI(int(eui), dialect=mac_unix_expanded))
    except (AddrFormatError, TypeError, IndexError):
        raise ValueError(f"not a MAC address: {text!r}") from None


def is_randomised(mac: str) -> bool:
    """True for a locally administered MAC: the private address Android and iOS use per network."""
    first_octet = EUI(normalise_mac(mac)).words[0]
    return bool(first_octet & _LOCALLY_ADMINISTERED)
