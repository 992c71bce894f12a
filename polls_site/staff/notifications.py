"""Moderators' notifications, set by an admin: the webhook, its events, the digest, a test."""

from __future__ import annotations

import secrets

from flask import Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from ..core.db import db
from ..models import Role
from ..notifications import settings as notify_settings
from ..notifications.events import moderator_event
from . import audit
from .auth import staff_required
from .blueprint import bp

_URL_PROBLEMS = {
    "scheme": lambda: _("The webhook address must start with https:// or http://."),
    "https": lambda: _("In production the webhook address must use https://."),
    "private": lambda: _("The webhook may not point to a private or loopback address."),
}


def _page(errors: list[str], status: int = 200) -> tuple[str, int]:
    chosen = notify_settings.current()
    return (
        render_template(
            "staff/notifications.html",
            chosen=chosen,
            events=notify_settings.EVENTS,
            labels=notify_settings.EVENT_LABELS,
            errors=errors,
        ),
        status,
    )


@bp.get("/notifications")
@staff_required(Role.ADMIN)
def notifications() -> tuple[str, int]:
    """The settings in force (the secret is never shown back)."""
    return _page([])


@bp.post("/notifications")
@staff_required(Role.ADMIN)
def save_notifications() -> Response | tuple[str, int]:
    """Check and store the settings; a new secret only when asked for (shown once)."""
    form = request.form
    url = form.get("webhook_url", "").strip()
    errors = []
    problem = notify_settings.webhook_url_problem(url)
    if problem:
        errors.append(_URL_PROBLEMS[problem]())
    emails, bad = notify_settings.parse_emails(form.get("moderator_emails", ""))
    if bad:
        errors.append(_("Not an email address: %(value)s", value=", ".join(bad)))
    try:
        digest = int(form.get("digest_minutes", "")) * 60
    except ValueError:
        digest = -1
    if not notify_settings.MIN_DIGEST_SECONDS <= digest <= notify_settings.MAX_DIGEST_SECONDS:
        errors.append(_("The digest interval must be between 1 and 1440 minutes."))
    chosen_events = [e for e in notify_settings.EVENTS if form.get(f"event_{e}")]
    if errors:
        return _page(errors, 422)
    before = notify_settings.current()
    values = {
        "webhook_url": url,
        "webhook_events": ",".join(chosen_events),
        "moderator_emails": ",".join(emails),
        "digest_seconds": str(digest),
    }
    new_secret = None
    if form.get("new_secret") or (url and not before.webhook_secret):
        new_secret = secrets.token_urlsafe(32)
        values["webhook_secret"] = new_secret
    notify_settings.save(values)
    # The log keeps what changed, never the secret.
    audit.record(
        "notifications.settings",
        "settings",
        "notifications",
        before={k: v for k, v in vars(before).items() if k != "webhook_secret"},
        after={k: v for k, v in values.items() if k != "webhook_secret"},
    )
    db.session.commit()
    flash(_("Notification settings saved."), "success")
    if new_secret:
        flash(
            _("The new webhook secret (shown only now): %(secret)s", secret=new_secret), "success"
        )
    return redirect(url_for("staff.notifications"), code=303)


@bp.post("/notifications/test")
@staff_required(Role.ADMIN)
def test_notifications() -> Response:
    """Send a "test" event through the worker to the webhook and the digest."""
    if moderator_event("test", None):
        flash(_("A test event is on its way; failures show up in Jobs."), "success")
    else:
        flash(_("The test event was not sent: the queue is unavailable."), "error")
    return redirect(url_for("staff.notifications"), code=303)
