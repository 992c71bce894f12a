"""A commenter's request, made through staff: find their comments, export them, erase them."""

from __future__ import annotations

import contextlib
import json
import secrets
from dataclasses import dataclass

import sqlalchemy as sa
from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from redis.exceptions import RedisError
from sqlalchemy.orm import joinedload

from ..comments.likes import like_mark_key
from ..comments.render import render_comment_html
from ..comments.status import thread_changed
from ..core.db import db
from ..core.redis import redis_client
from ..models import AuditEntry, Comment, CommentLike, CommentReport, Role, utcnow
from ..notifications.subscriptions import (
    erase_subscriptions,
    export_subscriptions,
    subscriptions_of,
)
from . import audit
from .auth import staff_required
from .blueprint import bp
from .views import form_reason

# What an erased comment keeps of its author: nothing that points back to them.
ERASED_VOTER_KEY = "erased"
SHOWN = 200


@dataclass
class Commenter:
    """How staff name the person asking: any of reader id, IP hash, author name (all must match)."""

    voter_key: str = ""
    ip_hash: str = ""
    name: str = ""

    @classmethod
    def from_request(cls) -> Commenter:
        """The criteria in the query string or the posted form, trimmed."""
        values = request.values
        return cls(
            voter_key=values.get("voter_key", "").strip()[:80],
            ip_hash=values.get("ip_hash", "").strip()[:64],
            name=values.get("name", "").strip()[:80],
        )

    def given(self) -> bool:
        """True when at least one criterion is filled in."""
        return bool(self.voter_key or self.ip_hash or self.name)

    def query(self) -> sa.Select:
        """Their comments, oldest first."""
        query = sa.select(Comment).options(joinedload(Comment.thread)).order_by(Comment.id)
        if self.voter_key:
            query = query.where(Comment.voter_key == self.voter_key)
        if self.ip_hash:
            query = query.where(Comment.ip_hash == self.ip_hash)
        if self.name:
            # Exactly as written: an erasure must not take in a namesake spelled otherwise.
            query = query.where(Comment.author_name == self.name)
        return query


def likes_given(who: Commenter) -> list[CommentLike]:
    """The likes the reader id gave (likes keep no name or IP hash, so only it finds them)."""
    if not who.voter_key:
        return []
    query = sa.select(CommentLike).where(CommentLike.voter_key == who.voter_key)
    return list(db.session.scalars(query.order_by(CommentLike.comment_id)))


def export_likes(likes: list[CommentLike]) -> list[dict]:
    """The likes as plain data: which comment, when."""
    return [{"comment_id": x.comment_id, "created_at": x.created_at.isoformat()} for x in likes]


def unlink_likes(likes: list[CommentLike]) -> None:
    """Give each like a random key of its own: the counts stay, nothing leads to the reader.

    The caller commits. Their Redis marks go too, so nothing there names them either.
    """
    # Before the UPDATEs, which also change the loaded objects' keys.
    marks = [like_mark_key(x.comment_id, x.voter_key) for x in likes]
    for like in likes:
        db.session.execute(
            sa.update(CommentLike)
            .where(
                CommentLike.comment_id == like.comment_id,
                CommentLike.voter_key == like.voter_key,
            )
            .values(voter_key=f"{ERASED_VOTER_KEY}:{secrets.token_hex(8)}")
        )
    if marks:
        with contextlib.suppress(RedisError):
            redis_client().delete(*marks)


def reports_filed(who: Commenter) -> list[CommentReport]:
    """The reports the reader id filed (like likes, reports keep no name or IP hash)."""
    if not who.voter_key:
        return []
    query = sa.select(CommentReport).where(CommentReport.voter_key == who.voter_key)
    return list(db.session.scalars(query.order_by(CommentReport.id)))


def export_reports(reports: list[CommentReport]) -> list[dict]:
    """The reports as plain data: which comment, why, the reader's words, the outcome."""
    return [
        {
            "comment_id": r.comment_id,
            "reason": r.reason,
            "text": r.text,
            "created_at": r.created_at.isoformat(),
            "outcome": r.outcome,
        }
        for r in reports
    ]


def unlink_reports(reports: list[CommentReport]) -> None:
    """Give each report a random key and drop its text: the comment's report count and
    the moderators' decisions stay, nothing leads to the reader. The caller commits."""
    for report in reports:
        report.voter_key = f"{ERASED_VOTER_KEY}:{secrets.token_hex(8)}"
        report.text = ""


def export_comments(comments: list[Comment]) -> list[dict]:
    """The comments as plain data, everything stored about their author included."""
    return [
        {
            "id": c.id,
            "thread": c.thread.key,
            "article": c.thread.title,
            "url": c.thread.url,
            "parent_id": c.parent_id,
            "author_name": c.author_name,
            "text": c.text,
            "status": c.status,
            "likes": c.likes,
            "created_at": c.created_at.isoformat(),
            "edited_at": c.edited_at.isoformat() if c.edited_at else None,
            "reader_id": c.voter_key,
            "ip_hash": c.ip_hash,
            "user_agent": c.user_agent,
        }
        for c in comments
    ]


def erase_comments(comments: list[Comment]) -> dict[int, str]:
    """Replace text and name, clear what identifies the author; returns the changed threads.

    The comments stay (replies keep their place); the caller records and commits.
    """
    text = _("[removed at the author's request]")
    html = render_comment_html(text)
    threads = {}
    for comment in comments:
        comment.text = text
        comment.html = html
        comment.author_name = _("Reader")
        comment.voter_key = ERASED_VOTER_KEY
        comment.ip_hash = None
        comment.user_agent = None
        comment.edited_at = utcnow()
        # The auto-moderator's reasons quote the text; the moderator's may describe it.
        comment.reasons = [_without_quotes(reason) for reason in comment.reasons or []]
        comment.decision_reason = None
        threads[comment.thread_id] = comment.thread.key
    erased = {comment.id for comment in comments}
    _unlink_bans(erased)
    if erased:
        # Other readers' report texts may quote the erased words.
        db.session.execute(
            sa.update(CommentReport).where(CommentReport.comment_id.in_(erased)).values(text="")
        )
    return threads


def _without_quotes(reason: dict) -> dict:
    """A stored reason without the words it matched (counts and percentages stay)."""
    detail = str(reason.get("detail", ""))
    numeric = detail.replace(".", "", 1).isdecimal()
    return {**reason, "detail": detail if numeric else "", "spans": []}


def _unlink_bans(comment_ids: set[int]) -> None:
    """Ban audit rows made on these comments no longer pair them with a reader id or an
    IP hash (the ban itself keeps both: it must still hold)."""
    entries = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "ban.create"))
    for entry in entries:
        after = entry.after or {}
        if after.get("comment_id") in comment_ids:
            entry.after = {
                **after,
                "comment_id": None,
                "voter_key": ERASED_VOTER_KEY if after.get("voter_key") else None,
                "ip_hash": ERASED_VOTER_KEY if after.get("ip_hash") else None,
            }


@dataclass
class Found:
    """Everything stored about one commenter that the export gives and the erasure removes."""

    comments: list[Comment]
    likes: list[CommentLike]
    reports: list[CommentReport]

    @classmethod
    def of(cls, who: Commenter, limit: int | None = None) -> Found:
        """Their comments (the first ``limit``), likes and reports."""
        query = who.query() if limit is None else who.query().limit(limit)
        return cls(list(db.session.scalars(query).unique()), likes_given(who), reports_filed(who))

    def counts(self) -> dict:
        """What the audit log records: the comments by id, the rest by number."""
        return {
            "ids": [c.id for c in self.comments],
            "likes": len(self.likes),
            "reports": len(self.reports),
        }


def _criteria_or_400() -> tuple[Commenter, Found]:
    who = Commenter.from_request()
    if not who.given():
        abort(400)
    return who, Found.of(who)


@bp.get("/privacy")
@staff_required(Role.ADMIN)
def privacy() -> Response:
    """Find a commenter's comments (and, by reader id, likes) by reader id, IP hash or name."""
    who = Commenter.from_request()
    found = Found.of(who, SHOWN) if who.given() else Found([], [], [])
    return Response(
        render_template(
            "staff/privacy.html",
            who=who,
            comments=found.comments,
            likes=len(found.likes),
            reports=len(found.reports),
            shown=SHOWN,
        )
    )


@bp.post("/privacy/export")
@staff_required(Role.ADMIN)
def privacy_export() -> Response:
    """Their comments, likes and reports as a JSON download (the export is audit-logged)."""
    _who, found = _criteria_or_400()
    audit.record("privacy.export", "comments", len(found.comments), after=found.counts())
    db.session.commit()
    data = {
        "comments": export_comments(found.comments),
        "likes_given": export_likes(found.likes),
        "reports_filed": export_reports(found.reports),
        "reply_subscriptions": export_subscriptions(
            subscriptions_of([c.id for c in found.comments])
        ),
    }
    body = json.dumps(data, ensure_ascii=False, indent=2)
    response = Response(body, mimetype="application/json")
    response.headers["Content-Disposition"] = 'attachment; filename="comments.json"'
    return response


@bp.post("/privacy/erase")
@staff_required(Role.ADMIN)
def privacy_erase() -> Response:
    """Erase their comments (text and name replaced, IP hash and browser cleared), unlink
    their likes and reports from them and delete their reply subscriptions (with the
    addresses)."""
    who, found = _criteria_or_400()
    comments = found.comments
    back = url_for("staff.privacy", **{k: v for k, v in vars(who).items() if v})
    if request.form.get("confirm") != "yes":
        flash(_("Tick the box to confirm the erasure."), "error")
        return redirect(back, code=303)
    threads = erase_comments(comments)
    unlink_likes(found.likes)
    unlink_reports(found.reports)
    # Their addresses go with the subscriptions; their reply mail stops.
    erase_subscriptions(subscriptions_of([c.id for c in comments]))
    # The log names the comments, not the person: it must not undo the erasure.
    audit.record(
        "privacy.erase",
        "comments",
        len(comments),
        after=found.counts(),
        reason=form_reason() or None,
    )
    db.session.commit()
    for thread_id, thread_key in threads.items():
        thread_changed(thread_id, thread_key)
    message = ngettext("%(num)d comment erased.", "%(num)d comments erased.", len(comments))
    flash(message, "success")
    return redirect(url_for("staff.privacy"), code=303)
