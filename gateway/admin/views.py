"""The console's pages: status, blocklists, sessions and the audit log.

Blocklists: check a name, block, allow, remove a staff entry, roll back. Sessions: list, kick.
"""

from __future__ import annotations

import ipaddress
import time
from typing import Any

from flask import Flask, current_app, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response as BaseResponse

from filters.engine import BlocklistEngine
from filters.never_block import NeverBlock
from filters.staff import AuditEvent, AuditLog, staff_entries, utc_now
from filters.staff_edit import MAX_REASON, StaffEditError, record_staff_edit
from filters.store import SnapshotStore, StoreError
from filters.update import run_rollback
from gateway.admin.console import current_user, login_required
from gateway.admin.status import read_status
from gateway.blocklist_cli import check_subject
from gateway.blocklist_report import stats_data
from gateway.config import GatewayConfig
from gateway.errors import UsageError
from gateway.sessions.store import SessionStore, sessions_path

AUDIT_SHOWN = 500


def _hotspot() -> dict[str, Any]:
    return current_app.extensions["hotspot"]  # type: ignore[no-any-return]


def _config() -> GatewayConfig:
    config: GatewayConfig = _hotspot()["config"]
    return config


def _clock(seconds: float) -> str:
    minutes = int(seconds // 60)
    return f"{minutes // 60}:{minutes % 60:02d}"


def add_views(app: Flask) -> None:
    """Register the pages on the console app."""

    @app.get("/")
    @login_required()
    def status() -> str:
        return render_template("status.html", s=read_status(_config()))

    @app.get("/blocklists")
    @login_required()
    def blocklists() -> tuple[str, int] | str:
        config = _config()
        store = SnapshotStore(config.blocklists.state_dir)
        data = stats_data(store)
        for source in data["sources"]:
            source["rejected_total"] = sum(source.get("rejected", {}).values())
        staff = sorted(staff_entries(AuditLog(store.audit_path).events()).values(),
                       key=lambda e: e.time, reverse=True)  # fmt: skip
        checked, verdict, code = request.args.get("check"), None, 200
        if checked:
            try:
                shown, explain = check_subject(checked)
                engine = BlocklistEngine(config.blocklists.state_dir)
                checked, verdict = shown, explain(engine)
            except UsageError as exc:
                flash(str(exc), "error")
                code = 400
        page = render_template(
            "blocklists.html",
            snapshot=data["snapshot"],
            sources=data["sources"],
            staff=staff,
            checked=checked,
            verdict=verdict,
            categories=config.blocklists.categories,
        )
        return page, code

    @app.post("/blocklists/edit")
    @login_required("staff")
    def blocklist_edit() -> BaseResponse | tuple[str, int]:
        config, user = _config(), current_user()
        assert user is not None
        store = SnapshotStore(config.blocklists.state_dir)
        store.ensure()
        try:
            event = record_staff_edit(
                AuditLog(store.audit_path), NeverBlock.load(), user=user.name,
                action=request.form.get("action", ""), name=request.form.get("name", ""),
                category=request.form.get("category"), reason=request.form.get("reason"),
                categories=config.blocklists.categories,
            )  # fmt: skip
        except StaffEditError as exc:
            flash(str(exc), "error")
            return render_template("base.html"), 400
        _hotspot()["lists_changed"]()
        flash(f"Disimpan / saved: {event.action} {event.name}", "note")
        return redirect(url_for("blocklists", check=event.name))

    @app.post("/blocklists/rollback")
    @login_required("staff")
    def blocklist_rollback() -> BaseResponse:
        user = current_user()
        assert user is not None
        try:
            previous = run_rollback(_config().blocklists.state_dir, user=user.name)
            _hotspot()["lists_changed"]()
            flash(f"Kembali ke / rolled back to {previous.stem}", "note")
        except StoreError as exc:
            flash(f"Tidak bisa / cannot: {exc}", "error")
        return redirect(url_for("blocklists"))

    @app.get("/sessions")
    @login_required()
    def sessions() -> str:
        config, now = _config(), time.time()
        with SessionStore(sessions_path(config)) as store:
            live = [s for s in store.sessions() if s.expires > now]
        rows = [{"ip": s.ip, "mac": s.mac or "-", "online": _clock(now - s.started),
                 "idle": _clock(s.idle_for(now)), "left": _clock(s.remaining(now))}
                for s in live]  # fmt: skip
        return render_template("sessions.html", rows=rows, cap=config.portal.max_clients)

    @app.post("/sessions/kick")
    @login_required("operator")
    def session_kick() -> BaseResponse | tuple[str, int]:
        user, kick = current_user(), _hotspot()["kick"]
        assert user is not None
        ip, reason = request.form.get("ip", ""), request.form.get("reason", "").strip()
        try:
            ip = str(ipaddress.IPv4Address(ip))
        except ValueError:
            flash(f"Bukan alamat / not an address: {ip!r}", "error")
            return render_template("base.html"), 400
        if not reason or len(reason) > MAX_REASON or "\n" in reason:
            flash("Alasan wajib, satu baris / a one-line reason is required", "error")
            return render_template("base.html"), 400
        if kick is None or not kick(ip):
            flash(f"Tidak ada sesi / no session for {ip}", "error")
            return redirect(url_for("sessions"))
        store = SnapshotStore(_config().blocklists.state_dir)
        store.ensure()
        AuditLog(store.audit_path).append(
            AuditEvent(utc_now(), user.name, "kick", ip, None, reason)
        )
        flash(f"Sesi diakhiri / session ended: {ip}", "note")
        return redirect(url_for("sessions"))

    @app.get("/audit")
    @login_required()
    def audit() -> str:
        store = SnapshotStore(_config().blocklists.state_dir)
        events = AuditLog(store.audit_path).events()[-AUDIT_SHOWN:]
        return render_template("audit.html", events=list(reversed(events)))
