"""The RFC 8908 Captive Portal API: the JSON a phone reads to learn whether it is captive.

Served only over https and only when the portal has a certificate: RFC 8908 allows no http API,
and DHCP option 114 advertises the URL only then.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Response

from gateway.portal.settings import PortalSettings

CAPTIVE_JSON = "application/captive+json"
API_PATH = "/api/captive"


def captive_api_body(
    settings: PortalSettings, admitted: bool, seconds_remaining: int | None
) -> dict[str, Any]:
    """The RFC 8908 object for one phone: captive or not, where to go, how long is left."""
    body: dict[str, Any] = {
        "captive": not admitted,
        "user-portal-url": settings.user_portal_url,
    }
    if settings.venue_info_url:
        body["venue-info-url"] = settings.venue_info_url
    # RFC 8908: seconds-remaining only for a phone that is not captive.
    if admitted and seconds_remaining is not None:
        body["seconds-remaining"] = max(seconds_remaining, 0)
    # Sessions end on their own; the portal offers no way to extend one.
    body["can-extend-session"] = False
    return body


def captive_api_response(body: dict[str, Any]) -> Response:
    """The HTTP response for an RFC 8908 object: its own media type, never cached."""
    response = Response(json.dumps(body, separators=(",", ":")), mimetype=CAPTIVE_JSON)
    # The answer differs per phone and changes the moment it connects.
    response.headers["Cache-Control"] = "private, no-store"
    return response
