"""Security headers for every portal response, with a CSP that allows exactly our one stylesheet."""

from __future__ import annotations

import base64
import hashlib

from werkzeug.datastructures import Headers


def style_hash(css: str) -> str:
    """The CSP source for an inline <style> whose content is exactly css."""
    digest = hashlib.sha256(css.encode("utf-8")).digest()
    return f"'sha256-{base64.b64encode(digest).decode('ascii')}'"


def content_security_policy(css: str) -> str:
    """A CSP for pages that inline css and run no script at all."""
    return "; ".join(
        (
            "default-src 'self'",
            "script-src 'none'",
            "object-src 'none'",
            # The stylesheet is inlined (one request fewer on a slow captive sheet) and allowed
            # by its hash, so no 'unsafe-inline'.
            f"style-src {style_hash(css)}",
            "img-src 'self'",
            "base-uri 'none'",
            "frame-ancestors 'none'",
            # Not 'self' alone: Chrome applies form-action to the redirect after the POST, and
            # Connect answers with a 303 to the page the phone first asked for, on any site.
            "form-action 'self' http: https:",
        )
    )


def add_security_headers(headers: Headers, csp: str) -> None:
    """Set the security headers; a response that chose its own Cache-Control keeps it."""
    headers["X-Content-Type-Options"] = "nosniff"
    headers["X-Frame-Options"] = "DENY"
    headers["Content-Security-Policy"] = csp
    headers["Referrer-Policy"] = "no-referrer"
    # A phone must not show a cached splash (or a cached redirect) once it is online.
    headers.setdefault("Cache-Control", "no-store")
