"""The portal's flask app: routing by Host header, the pages, Connect, and the RFC 8908 API.

Every phone that is not admitted lands here for every http request (the firewall DNATs port 80),
so the Host header decides: the portal's own name gets the portal's pages, any other name is an
OS probe or a site the phone opened and gets a redirect to the splash (see routing.py).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from flask import Flask, Response, abort, make_response, redirect, render_template, request, session
from flask.typing import ResponseReturnValue
from jinja2 import StrictUndefined
from markupsafe import Markup
from werkzeug.wrappers import Response as WerkzeugResponse

from gateway.portal.captive_api import API_PATH, captive_api_body, captive_api_response
from gateway.portal.csrf import issue_token, token_is_valid
from gateway.portal.probes import classify_probe
from gateway.portal.routing import normalise_host, route_request, safe_destination, splash_url
from gateway.portal.security_headers import add_security_headers, content_security_policy
from gateway.portal.sessions import PortalAdmission, PortalSessions
from gateway.portal.settings import PortalSettings, settings_from_config
from gateway.portal.stats import PortalStats
from gateway.portal.texts import LANGUAGES, TEXTS, category_label, choose_language, duration_text

__all__ = [
    "PAGES_DIR",
    "PortalAdmission",
    "PortalSessions",
    "PortalSettings",
    "create_portal_app",
    "settings_from_config",
]

# portal_pages/ sits at the repository root, next to gateway/.
PAGES_DIR = Path(__file__).resolve().parents[2] / "portal_pages"
STYLESHEET = PAGES_DIR / "static" / "portal.css"
# How often the full page asks again; a freed place is taken within this many seconds.
FULL_REFRESH_SECONDS = 15
# After Connect, a phone's requests to other sites may still reach us for a moment on
# connections opened while it was captive; for this long they are sent round again.
JUST_ADMITTED_SECONDS = 30.0
ADMITTED_MEMORY = 4096  # phones remembered for that (bounded, oldest first out)
# Enough for the Connect form; anything bigger is not from our pages.
MAX_FORM_BYTES = 16 * 1024


class _PortalViews:
    """The portal's request handlers, sharing the settings and adapters of one app."""

    def __init__(
        self,
        settings: PortalSettings,
        sessions: PortalSessions,
        stats: PortalStats,
        blocked_category: Callable[[str], str | None],
        secret_key: bytes,
        clock: Callable[[], float],
        css: str,
    ) -> None:
        self.settings = settings
        self.sessions = sessions
        self.stats = stats
        self.blocked_category = blocked_category
        self.secret_key = secret_key
        self.clock = clock
        self.css = Markup(css)  # our own file, inlined verbatim so its CSP hash matches
        self.portal_hosts = settings.portal_hosts
        self._admitted_at: OrderedDict[str, float] = OrderedDict()
        self._admitted_lock = threading.Lock()  # requests come from many server threads

    # -- request context ------------------------------------------------------------------

    @staticmethod
    def client_ip() -> str:
        """The phone's address: the firewall DNATs to us, so the source is the phone's."""
        # On a dual-stack socket an IPv4 phone shows up as ::ffff:10.77.0.23.
        return (request.remote_addr or "").removeprefix("::ffff:")

    def language(self) -> str:
        """The language of this request's page."""
        remembered = session.get("lang")
        return choose_language(
            request.args.get("lang"),
            remembered if isinstance(remembered, str) else None,
            self.settings.language,
        )

    def page_context(self) -> dict[str, Any]:
        """What every template needs: texts, language, the switch link, the inlined CSS."""
        lang = self.language()
        other = "en" if lang == "id" else "id"
        args = request.args.to_dict()
        args["lang"] = other
        # One leading slash only: "//host/x" would be a link to another site.
        path = "/" + quote(request.path).lstrip("/")
        return {
            "t": TEXTS[lang],
            "lang": lang,
            "other_lang": other,
            "switch_url": f"{path}?{urlencode(args)}",
            "css": self.css,
            "hotspot_name": self.settings.hotspot_name,
        }

    def render_page(self, template: str, status: int = 200, **context: Any) -> Response:
        """A rendered page with its status."""
        return make_response(render_template(template, **context), status)

    def connect_form(self, label_key: str, dst: str | None) -> dict[str, Any]:
        """Template values for the Connect form."""
        lang = self.language()
        return {
            "csrf": issue_token(self.secret_key, self.client_ip(), self.clock()),
            "dst": dst or "",
            "button_label": TEXTS[lang][label_key],
        }

    # -- before every request -------------------------------------------------------------

    def before_request(self) -> ResponseReturnValue | None:
        """Send requests for foreign hosts where they belong; on the portal, remember ?lang=."""
        route = route_request(
            request.host,
            self.portal_hosts,
            lambda: self.sessions.is_admitted(self.client_ip()),
            self.blocked_category,
        )
        if route.kind == "portal":
            requested = request.args.get("lang")
            if requested in LANGUAGES and session.get("lang") != requested:
                session["lang"] = requested
            return None
        # No cookie on a foreign name: the phone would later send it to the real site.
        if route.kind == "to_splash":
            self.stats.count_redirect(classify_probe(route.host, request.path))
            return redirect(splash_url(self.settings.host_name, request.url), 302)
        t = TEXTS[self.language()]
        if route.kind == "blocked":
            self.stats.count_block_page()
            # 403, not 451: 451 (RFC 7725) names a legal demand, but malware and phishing are
            # blocked to protect residents, and the portal cannot tell which list an entry
            # came from; 403 says truthfully that this network refuses the site.
            return self.render_page(
                "blocked.html",
                403,
                host=route.host,
                category=category_label(t, route.category or ""),
                contact=self.settings.report_contact,
            )
        if self.just_admitted(self.client_ip()):
            # A connection opened while captive (kept alive, or preconnected by the browser)
            # still carries the phone to us for a moment after Connect: send it to the same
            # page again, on a new connection (Connection: close), which goes out for real.
            return redirect(request.url, 307)
        self.stats.count_already_online_page()
        return self.render_page("already.html", host=route.host, url=request.url)

    def just_admitted(self, client_ip: str) -> bool:
        """Whether this phone got online here in the last JUST_ADMITTED_SECONDS."""
        with self._admitted_lock:
            when = self._admitted_at.get(client_ip)
        return when is not None and self.clock() - when < JUST_ADMITTED_SECONDS

    def remember_admission(self, client_ip: str) -> None:
        """Note when a phone got online (bounded; old entries go first)."""
        with self._admitted_lock:
            self._admitted_at[client_ip] = self.clock()
            self._admitted_at.move_to_end(client_ip)
            while len(self._admitted_at) > ADMITTED_MEMORY:
                self._admitted_at.popitem(last=False)

    # -- the portal's pages ---------------------------------------------------------------

    def go_online(self, dst: str | None, admitted_ip: str | None = None) -> WerkzeugResponse:
        """After a successful admission: to the page the phone first asked for, if any."""
        # 303: the browser follows with a GET, and a reload does not press Connect again.
        response = redirect(dst if dst else "/connected", 303)
        if admitted_ip is not None:
            self.remember_admission(admitted_ip)
            response.call_on_close(lambda: self.sessions.settle(admitted_ip))
        return response

    def connected_page(self, client_ip: str, continue_url: str | None) -> Response:
        """The "you are connected" page, with the time left when the session has a limit."""
        seconds = self.sessions.seconds_remaining(client_ip)
        t = TEXTS[self.language()]
        remaining = duration_text(t, seconds) if seconds is not None else ""
        return self.render_page(
            "connected.html", remaining=remaining, continue_url=continue_url or ""
        )

    def splash(self) -> ResponseReturnValue:
        """The splash with its one Connect button; the connected page once online."""
        client_ip = self.client_ip()
        dst = safe_destination(request.args.get("dst", ""), self.portal_hosts)
        if self.sessions.is_admitted(client_ip):
            return self.connected_page(client_ip, dst)
        self.stats.count_splash_view(client_ip)
        return self.render_page(
            "splash.html",
            capacity=self.settings.capacity,
            **self.connect_form("connect_button", dst),
        )

    def connect(self) -> ResponseReturnValue:
        """Connect pressed: check the token, admit the phone, send it on (or to the full page)."""
        client_ip = self.client_ip()
        dst = safe_destination(request.form.get("dst", ""), self.portal_hosts)
        if not token_is_valid(
            self.secret_key, client_ip, request.form.get("csrf", ""), self.clock()
        ):
            # An old page pressed by a phone that is online anyway needs no error.
            if self.sessions.is_admitted(client_ip):
                return self.go_online(dst)
            self.stats.count_rejected_token()
            back = "/?" + urlencode({"dst": dst}) if dst else "/"
            return self.render_page("expired.html", 400, back_url=back)
        admission = self.sessions.admit(client_ip)
        self.stats.count_connect(client_ip, admission.result)
        if admission.is_online:
            session.pop("waiting", None)
            return self.go_online(dst, client_ip if admission.result != "already" else None)
        # Remember that this phone asked, so the full page can admit it without another tap.
        session["waiting"] = dst or ""
        return redirect("/full", 303)

    def full(self) -> ResponseReturnValue:
        """The full page; for a phone that pressed Connect, each refresh tries to admit it."""
        client_ip = self.client_ip()
        waiting = session.get("waiting")
        capacity = self.sessions.capacity
        if isinstance(waiting, str):
            admission = self.sessions.admit(client_ip)
            if admission.is_online:
                session.pop("waiting", None)
                self.stats.count_admitted_after_wait(client_ip)
                newly = client_ip if admission.result != "already" else None
                return self.go_online(safe_destination(waiting, self.portal_hosts), newly)
            online = admission.online
        elif self.sessions.is_admitted(client_ip):
            return self.go_online(None)
        else:
            online = self.sessions.online()
            if online < capacity:
                return redirect("/", 303)  # there is room: one tap on the splash
        return self.render_page(
            "full.html",
            online=online,
            capacity=capacity,
            waiting=isinstance(waiting, str),
            refresh=FULL_REFRESH_SECONDS,
            **self.connect_form("full_button", None),
        )

    def connected(self) -> ResponseReturnValue:
        """Where Connect leads when the phone had not asked for a page first."""
        client_ip = self.client_ip()
        if not self.sessions.is_admitted(client_ip):
            return redirect("/", 303)
        return self.connected_page(client_ip, None)

    def captive_api(self) -> ResponseReturnValue:
        """RFC 8908 JSON, over https only; 404 on http or without a certificate."""
        if not (self.settings.https and request.is_secure):
            abort(404)
        client_ip = self.client_ip()
        admitted = self.sessions.is_admitted(client_ip)
        seconds = self.sessions.seconds_remaining(client_ip) if admitted else None
        return captive_api_response(captive_api_body(self.settings, admitted, seconds))


def create_portal_app(
    settings: PortalSettings,
    sessions: PortalSessions,
    stats: PortalStats,
    blocked_category: Callable[[str], str | None],
    secret_key: bytes,
    *,
    clock: Callable[[], float] = time.time,
) -> Flask:
    """Build the portal app; the adapters come in, nothing is read from globals."""
    app = Flask(
        __name__,
        template_folder=str(PAGES_DIR / "templates"),
        static_folder=str(PAGES_DIR / "static"),
        static_url_path="/static",
    )
    app.secret_key = secret_key
    app.config.update(
        SESSION_COOKIE_NAME="hotspot_portal",
        SESSION_COOKIE_SAMESITE="Lax",
        MAX_CONTENT_LENGTH=MAX_FORM_BYTES,
    )
    # A text missing from a template is a bug to see in tests, never a blank on a phone.
    app.jinja_env.undefined = StrictUndefined
    css = STYLESHEET.read_text(encoding="utf-8")
    csp = content_security_policy(css)
    views = _PortalViews(settings, sessions, stats, blocked_category, secret_key, clock, css)

    app.before_request(views.before_request)
    app.context_processor(views.page_context)
    app.add_url_rule("/", "splash", views.splash, methods=["GET"])
    app.add_url_rule("/connect", "connect", views.connect, methods=["POST"])
    # A reload or the back button after Connect lands here with a GET: start again.
    app.add_url_rule("/connect", "connect_again", lambda: redirect("/", 303), methods=["GET"])
    app.add_url_rule("/full", "full", views.full, methods=["GET"])
    app.add_url_rule("/connected", "connected", views.connected, methods=["GET"])
    app.add_url_rule(API_PATH, "captive_api", views.captive_api, methods=["GET"])

    @app.after_request
    def secure(response: Response) -> Response:
        add_security_headers(response.headers, csp)
        if normalise_host(request.host) not in settings.portal_hosts:
            # An intercepted request: its connection is DNAT'd to us. Were it kept alive, the
            # phone's next request to that site after Connect would land here again instead
            # of on the site, so the browser is told to open a new one.
            response.headers["Connection"] = "close"
        return response

    return app
