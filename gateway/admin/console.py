"""The staff console: a flask app on the management listener, with login, roles and CSRF.

Safe to expose on the management network: no default account, passwords as scrypt hashes, a
growing delay after failed logins (by name and by address), a session cookie that scripts
cannot read and other sites cannot send, a CSRF token on every form (Flask-WTF), and every
change in the audit log. Staff change blocklists; operators end sessions. `/metrics` is for
Prometheus and needs no login: it holds counts only, and the listener is never on the LAN.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from datetime import timedelta
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

from flask import Flask, Response, flash, g, redirect, render_template, request, session, url_for
from flask_wtf.csrf import CSRFError, CSRFProtect
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from werkzeug.wrappers import Response as BaseResponse

from gateway.admin.throttle import LoginThrottle
from gateway.admin.users import AdminUser, UserStore
from gateway.config import GatewayConfig
from gateway.metrics import GatewayCollector
from gateway.portal_secret import portal_secret

PAGES = Path(__file__).resolve().parents[2] / "portal_pages" / "admin"
KEY_FILE = "admin.key"
SESSION_HOURS = 8
CSP = ("default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
       "frame-ancestors 'none'; base-uri 'none'")  # fmt: skip
# A kick as `run` does it: the store, the firewall, the phone's connections.
Kick = Callable[[str], bool]
View = TypeVar("View", bound=Callable[..., Any])


def current_user() -> AdminUser | None:
    """The logged-in account, re-read each request so a removed account loses access at once."""
    return g.get("user")  # type: ignore[no-any-return]


def login_required(role: str | None = None) -> Callable[[View], View]:
    """Views behind a login; with `role`, only that role (else 403)."""

    def decorate(view: View) -> View:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            user = current_user()
            if user is None:
                return redirect(url_for("login"))
            if role is not None and user.role != role:
                return render_template("base.html", user=user), 403
            return view(*args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorate


def create_console(
    config: GatewayConfig, kick: Kick | None = None, clock: Callable[[], float] = time.time,
    secure_cookies: bool = False, lists_changed: Callable[[], None] | None = None,
) -> Flask:  # fmt: skip
    """The console app for this gateway.

    `kick` ends a phone's session (None: not offered); `lists_changed` tells the resolver and
    proxy to look at the lists at once after a staff edit.
    """
    app = Flask("hotspot-gateway-console", template_folder=str(PAGES))
    state_dir = config.blocklists.state_dir
    app.config.update(
        SECRET_KEY=portal_secret(state_dir, KEY_FILE),
        SESSION_COOKIE_NAME="hg_console",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Strict",
        # Secure cookies need https; the management listener may be plain http on a VPN.
        SESSION_COOKIE_SECURE=secure_cookies,
        PERMANENT_SESSION_LIFETIME=timedelta(hours=SESSION_HOURS),
        WTF_CSRF_TIME_LIMIT=SESSION_HOURS * 3600,
        MAX_CONTENT_LENGTH=64 * 1024,
    )
    CSRFProtect(app)
    users = UserStore(state_dir)
    throttle = LoginThrottle()
    registry = CollectorRegistry(auto_describe=False)
    registry.register(GatewayCollector(config, clock))
    app.extensions["hotspot"] = {"config": config, "kick": kick, "clock": clock,
                                 "lists_changed": lists_changed or (lambda: None)}  # fmt: skip

    @app.before_request
    def load_user() -> None:
        name = session.get("user")
        g.user = users.users().get(name) if isinstance(name, str) else None
        if name is not None and g.user is None:
            session.clear()  # the account is gone

    @app.context_processor
    def template_globals() -> dict[str, Any]:
        return {"user": current_user()}

    @app.after_request
    def security_headers(response: BaseResponse) -> BaseResponse:
        response.headers["Content-Security-Policy"] = CSP
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers.setdefault("Cache-Control", "no-store")
        return response

    @app.errorhandler(CSRFError)
    def csrf_failed(error: CSRFError) -> tuple[str, int]:
        message = "Formulir kedaluwarsa atau tidak sah / the form expired or is not valid"
        flash(message, "error")
        return render_template("base.html"), 400

    @app.route("/login", methods=["GET", "POST"])
    def login() -> Any:
        if request.method == "GET":
            return render_template("login.html", any_users=bool(users.users()))
        name = request.form.get("name", "").strip().lower()
        keys = [f"user:{name}", f"ip:{request.remote_addr}"]
        wait = throttle.wait(keys, clock())
        if wait > 0:
            flash(f"Terlalu banyak percobaan; coba lagi dalam {wait:.0f} detik / too many "
                  f"attempts; try again in {wait:.0f} s", "error")  # fmt: skip
            return render_template("login.html", any_users=True), 429
        user = users.verify(name, request.form.get("password", ""))
        if user is None:
            throttle.failed(keys, clock())
            flash("Nama atau kata sandi salah / wrong name or password", "error")
            return render_template("login.html", any_users=bool(users.users())), 401
        throttle.succeeded(keys)
        session.clear()  # a fresh session: nothing carried over from before the login
        session["user"] = user.name
        session["nonce"] = secrets.token_hex(8)
        session.permanent = True
        return redirect(url_for("status"))

    @app.post("/logout")
    def logout() -> BaseResponse:
        session.clear()
        return redirect(url_for("login"))

    @app.get("/metrics")
    def metrics() -> Response:
        return Response(generate_latest(registry), mimetype=CONTENT_TYPE_LATEST)

    from gateway.admin.views import add_views

    add_views(app)
    return app
