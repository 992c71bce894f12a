"""Logging in and out of the staff area."""

from __future__ import annotations

import math

import sqlalchemy as sa
from flask import Response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext

from ..core.clients import client_ip, ip_hash
from ..core.db import db
from ..models import Role, StaffUser, utcnow
from . import audit, login_limit
from .auth import current_staff, log_in, log_out, safe_next, staff_required
from .blueprint import bp
from .forms import LoginForm
from .passwords import HASH_WAIT_SECONDS, HashingBusy, password_matches, upgrade_hash


def normalize_username(username: str) -> str:
    """Usernames are compared without surrounding spaces and case."""
    return username.strip().lower()


def _login_page(form: LoginForm, status: int = 200, error: str | None = None) -> Response:
    return Response(render_template("staff/login.html", form=form, error=error), status=status)


@bp.route("/login", methods=["GET", "POST"])
def login() -> Response:
    """The login form; a success starts a new session and goes back where the user was."""
    form = LoginForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
        if current_staff() is not None:
            return redirect(safe_next(form.next.data), code=303)
        return _login_page(form)
    if not form.validate():
        return _login_page(form, 400)
    username = normalize_username(form.username.data)
    client = ip_hash(client_ip())
    wait = login_limit.admit(client, username)
    if wait:
        minutes = math.ceil(wait / 60)
        message = ngettext(
            "Too many failed logins. Try again in %(num)d minute.",
            "Too many failed logins. Try again in %(num)d minutes.",
            minutes,
        )
        return _login_page(form, 429, message)
    user = db.session.scalar(sa.select(StaffUser).where(StaffUser.username == username))
    try:
        if not password_matches(user, form.password.data):
            return _login_page(form, 401, _("Wrong username or password."))
        login_limit.succeeded(client, username)
        upgrade_hash(user, form.password.data)  # committed with the login below
    except HashingBusy:
        # Refused before the password was known either way: the attempt stays counted,
        # as it would be under any other load, and the reader-facing threads stay free.
        response = _login_page(form, 503, _("Too many logins at once. Try again in a few seconds."))
        response.headers["Retry-After"] = str(int(HASH_WAIT_SECONDS))
        return response
    log_in(user)
    user.last_login_at = utcnow()
    audit.record("staff.login", "staff", user.id, staff=user)
    db.session.commit()
    return redirect(safe_next(form.next.data), code=303)


@bp.post("/logout")
@staff_required(Role.MODERATOR)
def logout() -> Response:
    """End the session (the cookie is revoked, not only forgotten)."""
    user = current_staff()
    audit.record("staff.logout", "staff", user.id, staff=user)
    db.session.commit()
    log_out()
    return redirect(url_for("staff.login"), code=303)


@bp.get("/")
@staff_required(Role.MODERATOR)
def home() -> Response:
    """The staff area starts at the queue."""
    return redirect(url_for("staff.queue"))
