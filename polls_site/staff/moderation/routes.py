"""The moderation queue and the published comments: lists, one-click decisions, bans, bulk."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import sqlalchemy as sa
from flask import Response, abort, flash, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from markupsafe import Markup

from ...comments.automod.labels import rule_label
from ...comments.automod.rules import describe_reason
from ...comments.reports import REASONS, open_report_reasons, reported_comments
from ...core.db import db
from ...core.htmx import is_htmx
from ...models import Comment, Role
from ..auth import current_staff, staff_required
from ..blueprint import bp
from ..views import back, form_reason
from .decisions import (
    ACTIONS,
    BAN_DAYS,
    BanRequest,
    actions_for,
    author_history,
    ban_author,
    decide,
    status_label,
    thread_choices,
)
from .highlight import highlight
from .search import (
    PUBLISHED_STATUSES,
    QUEUE_STATUSES,
    Filters,
    count_comments,
    find_comments,
    known_rules,
)


@dataclass
class Row:
    """One comment as a moderator sees it."""

    comment: Comment
    text: Any  # Markup: escaped text with the matches marked
    reasons: list[str]
    history: dict[str, int]
    actions: list[str]
    notice: str = ""
    # Readers' open reports, "reason (count)": why a reported comment is back in review.
    reports: list[str] = field(default_factory=list)
    # The comment a reply answers: a reply is judged with what it replies to.
    parent: Comment | None = None


def _parents(comments: list[Comment]) -> dict[int, Comment]:
    ids = {c.parent_id for c in comments if c.parent_id is not None}
    if not ids:
        return {}
    return {p.id: p for p in db.session.scalars(sa.select(Comment).where(Comment.id.in_(ids)))}


def _rows(comments: list[Comment]) -> list[Row]:
    history = author_history({c.voter_key for c in comments})
    parents = _parents(comments)
    reports = open_report_reasons(c.id for c in comments)
    return [
        Row(
            comment=c,
            text=highlight(c.text, c.reasons or []),
            reasons=[describe_reason(r) for r in c.reasons or []],
            history=history.get(c.voter_key, {"approved": 0, "rejected": 0}),
            actions=actions_for(c.status),
            reports=[f"{REASONS[r]} ({n})" for r, n in reports.get(c.id, {}).items()],
            parent=parents.get(c.parent_id) if c.parent_id is not None else None,
        )
        for c in comments
    ]


def _list_page(kind: str) -> Response:
    statuses = QUEUE_STATUSES if kind == "queue" else PUBLISHED_STATUSES
    filters = Filters.from_request(statuses)
    comments, total = find_comments(filters, statuses, oldest_first=kind == "queue")
    context = {
        "kind": kind,
        "rows": _rows(comments),
        "total": total,
        "filters": filters,
        "statuses": [(s.value, status_label(s)) for s in statuses],
        "threads": thread_choices(),
        "rules": known_rules() if kind == "queue" else [],
        "rule_label": rule_label,
        "ban_days": BAN_DAYS,
        "here": request.full_path.rstrip("?"),
        "page_size": len(comments),
    }
    template = "staff/_list.html" if is_htmx() else "staff/comments.html"
    return Response(render_template(template, **context))


@bp.get("/queue")
@staff_required(Role.MODERATOR)
def queue() -> Response:
    """Comments waiting for a moderator (and those the worker has not reached), oldest first."""
    return _list_page("queue")


@bp.get("/comments")
@staff_required(Role.MODERATOR)
def published() -> Response:
    """Comments already decided: find, hide, restore."""
    return _list_page("published")


@bp.get("/reports")
@staff_required(Role.MODERATOR)
def reports() -> Response:
    """«Жалобы»: comments readers reported, most reported first, with reasons and counts."""
    summaries = reported_comments()
    rows = _rows([s.comment for s in summaries])
    for row in rows:
        # The tab's own summary above each comment says it already.
        row.reports = []
    return Response(
        render_template(
            "staff/reports.html",
            items=list(zip(summaries, rows, strict=True)),
            reasons=REASONS,
            ban_days=BAN_DAYS,
            here=request.full_path.rstrip("?"),
        )
    )


@bp.get("/queue/count")
@staff_required(Role.MODERATOR)
def pending() -> str:
    """The pending count in the header (polled)."""
    return render_template("staff/_pending_count.html")


def _seen_revision() -> int | None:
    try:
        return int(request.form["revision"])
    except (KeyError, ValueError):
        abort(400)


def _row_response(comment: Comment, notice: str, status: int) -> Response:
    # The row, re-rendered as it is now, with what happened to it on top.
    row = _rows([comment])[0]
    row.notice = notice
    body = render_template(
        "staff/_row.html", row=row, ban_days=BAN_DAYS, here=request.form.get("next", "")
    )
    return Response(body, status=status)


def _list_count() -> Markup:
    """The list's «N comments found» again, out of band, for the list the decision was
    made on (its ``next`` field: the list's own URL with its filters); empty elsewhere."""
    target = urlsplit(request.form.get("next", ""))
    lists = {url_for("staff.queue"): QUEUE_STATUSES, url_for("staff.published"): PUBLISHED_STATUSES}
    statuses = lists.get(target.path)
    if statuses is None:
        return Markup("")
    filters = Filters.from_values(dict(parse_qsl(target.query)), statuses)
    total = count_comments(filters, statuses)
    return Markup(render_template("staff/_list_count.html", total=total, shown=None, oob=True))


def _done(message: str) -> Response:
    if is_htmx():
        # The row leaves (empty swap); the header's and the list's counts follow out
        # of band.
        pending = render_template("staff/_pending_count.html", oob=True)
        return Response(pending + str(_list_count()))
    flash(message, "success")
    return back(url_for("staff.queue"))


def _refused(comment: Comment | None, message: str) -> Response:
    if is_htmx() and comment is not None:
        return _row_response(comment, message, 409)
    if is_htmx():
        return Response(render_template("staff/_pending_count.html", oob=True))
    flash(message, "error")
    return back(url_for("staff.queue"))


@bp.post("/comments/<int:comment_id>/<any(approve, reject, spam, hide, restore):action>")
@staff_required(Role.MODERATOR)
def decide_comment(comment_id: int, action: str) -> Response:
    """Approve, reject (with a reason), mark as spam, hide or restore one comment."""
    reason = form_reason()
    decision = decide(comment_id, action, _seen_revision(), current_staff(), reason)
    if not decision.applied:
        return _refused(decision.comment, decision.message)
    return _done(
        _("Comment %(id)d: %(state)s.", id=comment_id, state=status_label(ACTIONS[action][0]))
    )


def _ban_request() -> BanRequest:
    form = request.form
    try:
        days = int(form.get("days", "0"))
    except ValueError:
        abort(400)
    if days not in BAN_DAYS:
        abort(400)
    return BanRequest(
        by_voter=bool(form.get("by_voter")),
        by_ip=bool(form.get("by_ip")),
        days=days,
        reason=form_reason(),
        remove_all=bool(form.get("remove_all")),
    )


@bp.post("/comments/<int:comment_id>/ban")
@staff_required(Role.MODERATOR)
def ban(comment_id: int) -> Response:
    """Ban the comment's author for a while, taking the comment (or all theirs) down."""
    result = ban_author(comment_id, _seen_revision(), current_staff(), _ban_request())
    if result.ban is None:
        return _refused(result.comment, result.message)
    message = ngettext(
        "Author banned; %(num)d comment taken down.",
        "Author banned; %(num)d comments taken down.",
        len(result.removed),
    )
    return _done(message)


@bp.post("/queue/bulk")
@staff_required(Role.MODERATOR)
def bulk() -> Response:
    """Apply one action to every selected comment; each is checked against its revision."""
    action = request.form.get("action", "")
    if action not in ACTIONS:
        abort(400)
    reason = form_reason()
    applied: list[int] = []
    refused: list[tuple[Comment | None, str]] = []  # None: the comment is gone
    for raw_id in request.form.getlist("ids"):
        try:
            comment_id = int(raw_id)
            seen = int(request.form[f"rev-{comment_id}"])
        except (KeyError, ValueError):
            abort(400)
        decision = decide(comment_id, action, seen, current_staff(), reason)
        if decision.applied:
            applied.append(comment_id)
        else:
            refused.append((decision.comment, f"#{comment_id}: {decision.message}"))
    done = (
        ngettext("%(num)d comment done.", "%(num)d comments done.", len(applied)) if applied else ""
    )
    if is_htmx():
        # Done rows leave, refused ones come back as they are now with the reason on
        # top, and the pending count follows: all out of band, the summary in place.
        present = [(c, m) for c, m in refused if c is not None]
        rows = _rows([c for c, _m in present])
        for row, (_c, message) in zip(rows, present, strict=True):
            row.notice = message
        gone = [m for c, m in refused if c is None]
        body = render_template(
            "staff/_bulk_result.html",
            done=done,
            applied=applied,
            refused=rows,
            gone=gone,
            list_count=_list_count(),
            ban_days=BAN_DAYS,
            here=request.form.get("next", ""),
        )
        return Response(body)
    if done:
        flash(done, "success")
    for _comment, message in refused:
        flash(message, "error")
    return back(url_for("staff.queue"))
