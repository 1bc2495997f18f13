"""A phone talking to the portal through flask's test client: requests from one address."""

from __future__ import annotations

import re

from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from tests.gateway.portal.conftest import HOST, PHONE

CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def get(
    client: FlaskClient, path: str = "/", host: str = HOST, ip: str = PHONE, **kwargs: object
) -> TestResponse:
    """GET path from the phone at ip, with this Host header."""
    return client.get(path, base_url=f"http://{host}", environ_base={"REMOTE_ADDR": ip}, **kwargs)


def post(
    client: FlaskClient, path: str, data: dict[str, str], host: str = HOST, ip: str = PHONE
) -> TestResponse:
    """POST a form from the phone at ip."""
    return client.post(path, data=data, base_url=f"http://{host}", environ_base={"REMOTE_ADDR": ip})


def csrf_of(html: str) -> str:
    """The Connect token in a rendered page."""
    match = CSRF.search(html)
    assert match, "no Connect form on this page"
    return match.group(1)


def press_connect(client: FlaskClient, dst: str = "", ip: str = PHONE) -> TestResponse:
    """Open the splash (as the captive sheet does) and press Connect."""
    query = {"dst": dst} if dst else {}
    page = get(client, "/", ip=ip, query_string=query)
    assert page.status_code == 200
    form = {"csrf": csrf_of(page.text)}
    if dst:
        form["dst"] = dst
    return post(client, "/connect", form, ip=ip)
