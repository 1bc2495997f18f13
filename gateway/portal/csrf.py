"""Connect-button tokens: an HMAC of the phone's address and the time the page was shown.

The token needs no cookie, so Connect works even in a captive-portal sheet that drops cookies;
another site cannot forge it without the secret key, and another phone's token names its own
address.
"""

from __future__ import annotations

import hashlib
import hmac

# A splash may sit in the sheet for a long while (a phone waiting for a free place); past this
# the button is refused and the resident is sent back to a fresh page.
TOKEN_MAX_AGE = 6 * 3600
# Tolerance for a token stamped by another worker a moment later than our clock.
_CLOCK_SKEW = 60


def _signature(secret_key: bytes, client_ip: str, issued: int) -> str:
    message = f"connect|{client_ip}|{issued}".encode()
    return hmac.new(secret_key, message, hashlib.sha256).hexdigest()


def issue_token(secret_key: bytes, client_ip: str, now: float) -> str:
    """A token for the Connect form shown to client_ip at time now."""
    issued = int(now)
    return f"{issued}.{_signature(secret_key, client_ip, issued)}"


def token_is_valid(secret_key: bytes, client_ip: str, token: str, now: float) -> bool:
    """Whether token was issued by us to client_ip within TOKEN_MAX_AGE of now."""
    issued_text, _, signature = token.partition(".")
    if not (issued_text.isascii() and issued_text.isdigit()) or len(issued_text) > 12:
        return False
    issued = int(issued_text)
    if not -_CLOCK_SKEW <= now - issued <= TOKEN_MAX_AGE:
        return False
    expected = _signature(secret_key, client_ip, issued)
    return hmac.compare_digest(expected.encode(), signature.encode("utf-8", "replace"))
