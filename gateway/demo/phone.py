"""What a phone does on the simulated hotspot: open a page, press Connect, as a browser would.

Run inside a phone's namespace (`python -m gateway.demo.phone ACTION ARGS`): each action prints
one JSON object of what the phone saw. Redirects are never followed by themselves, so the
caller sees each step a phone's browser takes. Names resolve through the namespace's
resolv.conf: the gateway, as DHCP would have told a phone.
"""

from __future__ import annotations

import argparse
import http.client
import json
import re
import socket
import ssl
import threading
import time
import urllib.parse
from typing import Any

TIMEOUT = 5.0
CSRF_FIELD = re.compile(rb'name="csrf"\s+value="([^"]+)"|value="([^"]+)"\s+name="csrf"')


def http_get(url: str, source: str | None = None, cookie: str = "",
             address: str | None = None) -> dict[str, Any]:  # fmt: skip
    """One GET, no redirects followed; `address` overrides where the host resolves."""
    parts = urllib.parse.urlsplit(url)
    host = address or socket.gethostbyname(parts.hostname or "")
    secure = parts.scheme == "https"
    port = parts.port or (443 if secure else 80)
    bind = (source, 0) if source else None
    conn: http.client.HTTPConnection
    if secure:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE  # the fake internet's throwaway certificate
        conn = http.client.HTTPSConnection(host, port, timeout=TIMEOUT, source_address=bind,
                                           context=context)  # fmt: skip
    else:
        conn = http.client.HTTPConnection(host, port, timeout=TIMEOUT, source_address=bind)
    headers = {"Host": parts.netloc, "User-Agent": "e2e-phone"}
    if cookie:
        headers["Cookie"] = cookie
    target = (parts.path or "/") + ("?" + parts.query if parts.query else "")
    conn.request("GET", target, headers=headers)
    response = conn.getresponse()
    body = response.read()
    conn.close()
    return {"status": response.status, "location": response.getheader("Location"),
            "content_type": response.getheader("Content-Type"),
            "set_cookie": response.getheader("Set-Cookie"),
            "body": body.decode(errors="replace")}  # fmt: skip


def press_connect(portal: str, source: str | None, dst: str = "",
                  barrier: threading.Barrier | None = None) -> dict[str, Any]:  # fmt: skip
    """Open the splash, then press Connect (waiting at `barrier` first, for races)."""
    query = "?" + urllib.parse.urlencode({"dst": dst}) if dst else ""
    splash = http_get(f"http://{portal}/{query}", source)
    cookie = (splash["set_cookie"] or "").split(";")[0]
    match = CSRF_FIELD.search(splash["body"].encode())
    if match is None:
        return {"status": splash["status"], "error": "no csrf field on the splash"}
    token = (match.group(1) or match.group(2)).decode()
    form = urllib.parse.urlencode({"csrf": token, "dst": dst})
    host = socket.gethostbyname(portal)
    conn = http.client.HTTPConnection(host, 80, timeout=TIMEOUT,
                                      source_address=(source, 0) if source else None)  # fmt: skip
    if barrier is not None:
        barrier.wait(timeout=30)
    started = time.monotonic()
    conn.request(
        "POST",
        "/connect",
        body=form,
        headers={
            "Host": portal,
            "Cookie": cookie,
            "Content-Type": "application/x-www-form-urlencoded",
        },
    )
    response = conn.getresponse()
    body = response.read().decode(errors="replace")
    conn.close()
    cookie = (response.getheader("Set-Cookie") or cookie).split(";")[0]  # the portal's latest
    return {"status": response.status, "location": response.getheader("Location"),
            "seconds": time.monotonic() - started, "body": body, "cookie": cookie}  # fmt: skip


def main() -> None:
    """`get URL [ADDRESS]` or `connect PORTAL`; prints the result as JSON."""
    parser = argparse.ArgumentParser(prog="phone")
    parser.add_argument("action", choices=["get", "connect"])
    parser.add_argument("args", nargs="+")
    parser.add_argument("--source")
    opts = parser.parse_args()
    if opts.action == "get":
        address = opts.args[1] if len(opts.args) > 1 else None
        result = http_get(opts.args[0], opts.source, address=address)
    else:
        result = press_connect(opts.args[0], opts.source)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
