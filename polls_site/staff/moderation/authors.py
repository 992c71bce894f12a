"""One reader's history for a moderator, one click from a queue item: their other comments
(any status, with the auto-moderator's and moderators' decisions) and their bans."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from flask import Response, abort, render_template, request

from ...core.db import db
from ...models import AuditEntry, Ban, Comment, Role
from ..audit import action_label, actor_label
from ..auth import staff_required
from ..blueprint import bp

# The newest comments shown; a reader with more is a case for the search, not this page.
HISTORY_LIMIT = 100


@dataclass(frozen=True)
class Decision:
    """A moderator's recorded decision on one comment."""

    who: str
    what: str
    reason: str


@dataclass(frozen=True)
class AuthorRecord:
    """A reader's comments (newest first), each with its decisions, and their bans."""

    voter_key: str
    comments: list[tuple[Comment, list[Decision]]]
    bans: list[Ban]
    total: int


def author_record(voter_key: str, limit: int = HISTORY_LIMIT) -> AuthorRecord:
    """What the database knows about the reader ``voter_key`` for moderation."""
    same = Comment.voter_key == voter_key
    total = db.session.scalar(sa.select(sa.func.count(Comment.id)).where(same))
    comments = db.session.scalars(
        sa.select(Comment).where(same).order_by(Comment.id.desc()).limit(limit)
    ).all()
    decisions: dict[str, list[Decision]] = {}
    if comments:
        rows = db.session.scalars(
            sa.select(AuditEntry)
            .where(
                AuditEntry.target_type == "comment",
                AuditEntry.target_id.in_([str(c.id) for c in comments]),
            )
            .order_by(AuditEntry.id)
        )
        for entry in rows:
            decisions.setdefault(entry.target_id, []).append(
                Decision(
                    actor_label(entry.staff_name), action_label(entry.action), entry.reason or ""
                )
            )
    bans = db.session.scalars(
        sa.select(Ban).where(Ban.voter_key == voter_key).order_by(Ban.id.desc())
    ).all()
    return AuthorRecord(
        voter_key=voter_key,
        comments=[(c, decisions.get(str(c.id), [])) for c in comments],
        bans=list(bans),
        total=total or 0,
    )


@bp.get("/author")
@staff_required(Role.MODERATOR)
def author() -> Response:
    """A reader's comments and decisions, and their bans (``?voter=`` their reader id)."""
    voter_key = request.args.get("voter", "")[:80]
    if not voter_key:
        abort(404)
    record = author_record(voter_key)
    return Response(
        render_template(
            "staff/author.html",
            record=record,
            limit=HISTORY_LIMIT,
        )
    )
