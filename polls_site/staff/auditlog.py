"""The audit log, read-only: browse and filter it; moderation counts per moderator per day."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa
from flask import Response, render_template, request

from ..core.db import db
from ..models import AuditEntry, Role
from . import audit
from .auth import staff_required
from .blueprint import bp

PAGE_SIZE = 100
STATS_DAYS = 14


def _day(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def audit_query(staff: str, action: str, since: date | None, until: date | None) -> sa.Select:
    """Audit rows, newest first, by staff name, action (prefix) and day range (UTC, inclusive)."""
    query = sa.select(AuditEntry).order_by(AuditEntry.id.desc())
    if staff:
        query = query.where(AuditEntry.staff_name == staff)
    if action:
        query = query.where(AuditEntry.action.startswith(action, autoescape=True))
    if since:
        query = query.where(AuditEntry.at >= _start(since))
    if until:
        query = query.where(AuditEntry.at < _start(until + timedelta(days=1)))
    return query


def moderation_counts(days: int = STATS_DAYS) -> list[tuple[str, str, str, int]]:
    """(day, staff name, action, count) of comment decisions over the last ``days`` days."""
    day = sa.func.date(AuditEntry.at)
    since = _start(datetime.now(UTC).date() - timedelta(days=days - 1))
    rows = db.session.execute(
        sa.select(day, AuditEntry.staff_name, AuditEntry.action, sa.func.count())
        .where(AuditEntry.at >= since, AuditEntry.action.startswith("comment."))
        .group_by(day, AuditEntry.staff_name, AuditEntry.action)
        .order_by(day.desc(), AuditEntry.staff_name, AuditEntry.action)
    )
    return [(str(d), name, action, count) for d, name, action, count in rows]


@bp.get("/audit")
@staff_required(Role.MODERATOR)
def audit_log() -> Response:
    """Every staff action, newest first, filtered by who, what and when."""
    args = request.args
    staff, action = args.get("staff", "")[:50], args.get("action", "")[:40]
    since, until = _day(args.get("since")), _day(args.get("until"))
    entries = db.session.scalars(audit_query(staff, action, since, until).limit(PAGE_SIZE)).all()
    names = db.session.scalars(
        sa.select(AuditEntry.staff_name).distinct().order_by(AuditEntry.staff_name)
    ).all()
    actions = db.session.scalars(
        sa.select(AuditEntry.action).distinct().order_by(AuditEntry.action)
    ).all()
    body = render_template(
        "staff/audit.html",
        entries=entries,
        names=names,
        actions=actions,
        staff=staff,
        action=action,
        since=since,
        until=until,
        counts=moderation_counts(),
        action_label=audit.action_label,
        target_label=audit.target_label,
        actor_label=audit.actor_label,
        reason_label=audit.reason_label,
        page_size=PAGE_SIZE,
        stats_days=STATS_DAYS,
    )
    return Response(body)
