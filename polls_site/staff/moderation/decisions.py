"""Moderators' decisions on comments: approve, reject, spam, hide, restore, ban the author.

Every status change goes through `change_status` and, after the commit, `thread_changed`;
every decision adds an audit row in the same transaction. The page a moderator acted
on carries the comment's revision: if the comment changed since (another moderator,
the auto-moderator, the author), nothing is applied and the moderator is told what
happened instead.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm.exc import StaleDataError

from ...comments.reports import REPORT_OUTCOMES, settle_reports
from ...comments.status import change_status, thread_changed
from ...core.dates import site_time
from ...core.db import db
from ...models import REASON_LENGTH, Ban, Comment, CommentStatus, StaffUser, Thread, utcnow
from .. import audit

S = CommentStatus

# What each action does, and the states it may start from.
ACTIONS: dict[str, tuple[CommentStatus, frozenset[CommentStatus]]] = {
    "approve": (S.APPROVED, frozenset({S.PENDING, S.REVIEW, S.REJECTED, S.SPAM})),
    "reject": (S.REJECTED, frozenset({S.PENDING, S.REVIEW})),
    "spam": (S.SPAM, frozenset({S.PENDING, S.REVIEW, S.APPROVED, S.HIDDEN})),
    "hide": (S.HIDDEN, frozenset({S.APPROVED})),
    "restore": (S.APPROVED, frozenset({S.HIDDEN})),
}

QUEUE_STATES = (S.REVIEW, S.PENDING)

# The ban lengths a moderator picks from, in days (0: for good).
BAN_DAYS = (1, 7, 30, 365, 0)


def actions_for(status: str) -> list[str]:
    """The actions a moderator may take on a comment in ``status``."""
    return [name for name, (_target, sources) in ACTIONS.items() if status in sources]


def status_label(status: str) -> str:
    """A comment status as a moderator reads it."""
    labels = {
        S.PENDING: _("waiting for the auto-moderator"),
        S.REVIEW: _("waiting for a moderator"),
        S.APPROVED: _("approved"),
        S.REJECTED: _("rejected"),
        S.SPAM: _("marked as spam"),
        S.HIDDEN: _("hidden"),
        S.DELETED: _("deleted by its author"),
    }
    return labels.get(status, status)


def what_happened(comment: Comment) -> str:
    """One sentence: the comment's current state, by whom and when it was set."""
    state = status_label(comment.status)
    if comment.moderated_at is None:
        return state
    when = site_time(comment.moderated_at)
    staff = db.session.get(StaffUser, comment.moderated_by) if comment.moderated_by else None
    if staff is not None:
        return _("%(state)s by %(name)s at %(when)s", state=state, name=staff.username, when=when)
    return _("%(state)s at %(when)s", state=state, when=when)


@dataclass
class Decision:
    """What became of one requested action; ``message`` says why when nothing was applied."""

    comment: Comment | None
    applied: bool
    message: str = ""


def _stale(comment: Comment) -> Decision:
    return Decision(comment, False, _("Already handled: %(what)s.", what=what_happened(comment)))


def _reload(comment_id: int) -> Comment | None:
    db.session.rollback()
    db.session.expire_all()
    return db.session.get(Comment, comment_id)


def decide(
    comment_id: int,
    action: str,
    seen_revision: int | None,
    staff: StaffUser,
    reason: str | None = None,
) -> Decision:
    """Apply ``action`` to one comment and commit, unless it changed since ``seen_revision``."""
    target, sources = ACTIONS[action]
    comment = db.session.get(Comment, comment_id)
    if comment is None:
        return Decision(None, False, _("This comment no longer exists."))
    if (seen_revision is not None and comment.revision != seen_revision) or (
        comment.status not in sources
    ):
        return _stale(comment)
    before = {"status": comment.status}
    thread_id, thread_key = comment.thread_id, comment.thread.key
    try:
        change_status(comment, target, staff_id=staff.id, reason=reason or None)
        after: dict[str, object] = {"status": target.value}
        settled = settle_reports(comment.id, target)
        if settled:
            # The reports' outcome is part of the decision: it weighs their reporters.
            after["reports"] = {"count": settled, "outcome": REPORT_OUTCOMES[target]}
        audit.record(
            f"comment.{action}",
            "comment",
            comment.id,
            before=before,
            after=after,
            reason=reason or None,
            staff=staff,
        )
        db.session.commit()
    except StaleDataError:
        # Another moderator (or the worker) committed first: theirs stands.
        comment = _reload(comment_id)
        if comment is None:
            return Decision(None, False, _("This comment no longer exists."))
        return _stale(comment)
    thread_changed(thread_id, thread_key)
    return Decision(comment, True)


@dataclass
class BanRequest:
    """What a moderator asked for in the ban form."""

    by_voter: bool
    by_ip: bool
    days: int  # 0: for good
    reason: str = ""
    remove_all: bool = False


@dataclass
class BanResult:
    """The ban made (None if refused), the comments it took down and why it was refused."""

    ban: Ban | None
    removed: list[int] = field(default_factory=list)
    message: str = ""
    comment: Comment | None = None


def _authors_comments(comment: Comment, request: BanRequest) -> list[Comment]:
    who = []
    if request.by_voter:
        who.append(Comment.voter_key == comment.voter_key)
    if request.by_ip and comment.ip_hash:
        who.append(Comment.ip_hash == comment.ip_hash)
    visible_or_waiting = (S.PENDING, S.REVIEW, S.APPROVED)
    return list(
        db.session.scalars(
            sa.select(Comment)
            .where(sa.or_(*who), Comment.status.in_(visible_or_waiting))
            .order_by(Comment.id)
        )
    )


def ban_author(
    comment_id: int, seen_revision: int | None, staff: StaffUser, request: BanRequest
) -> BanResult:
    """Ban a comment's author, take that comment down and, if asked, all their others."""
    comment = db.session.get(Comment, comment_id)
    if comment is None:
        return BanResult(None, message=_("This comment no longer exists."))
    if seen_revision is not None and comment.revision != seen_revision:
        return BanResult(None, message=_stale(comment).message, comment=comment)
    by_ip = request.by_ip and comment.ip_hash is not None
    if not (request.by_voter or by_ip):
        return BanResult(
            None, message=_("Choose what to ban: the reader id or the IP hash."), comment=comment
        )
    expires_at = utcnow() + timedelta(days=request.days) if request.days else None
    ban = Ban(
        voter_key=comment.voter_key if request.by_voter else None,
        ip_hash=comment.ip_hash if by_ip else None,
        reason=request.reason[:REASON_LENGTH],
        expires_at=expires_at,
        created_by=staff.id,
    )
    db.session.add(ban)
    targets = _authors_comments(comment, request) if request.remove_all else [comment]
    reason = request.reason or _("author banned")
    changed_threads: dict[int, str] = {}
    removed = []
    try:
        db.session.flush()
        audit.record(
            "ban.create",
            "ban",
            ban.id,
            after={
                "voter_key": ban.voter_key,
                "ip_hash": ban.ip_hash,
                "expires_at": expires_at.isoformat() if expires_at else None,
                "comment_id": comment.id,
                "remove_all": request.remove_all,
            },
            reason=request.reason or None,
            staff=staff,
        )
        for target in targets:
            new_status = S.HIDDEN if target.status == S.APPROVED else S.REJECTED
            if target.status not in (*QUEUE_STATES, S.APPROVED):
                continue
            before = {"status": target.status}
            change_status(target, new_status, staff_id=staff.id, reason=reason)
            action = "comment.hide" if new_status == S.HIDDEN else "comment.reject"
            audit.record(
                action,
                "comment",
                target.id,
                before=before,
                after={"status": new_status.value},
                reason=reason,
                staff=staff,
            )
            changed_threads[target.thread_id] = target.thread.key
            removed.append(target.id)
        db.session.commit()
    except StaleDataError:
        comment = _reload(comment_id)
        if comment is None:
            return BanResult(None, message=_("This comment no longer exists."))
        return BanResult(None, message=_stale(comment).message, comment=comment)
    for thread_id, thread_key in changed_threads.items():
        thread_changed(thread_id, thread_key)
    return BanResult(ban, removed, comment=comment)


def author_history(voter_keys: set[str]) -> dict[str, dict[str, int]]:
    """For each reader id: how many of their comments are approved and rejected (spam too)."""
    if not voter_keys:
        return {}
    rows = db.session.execute(
        sa.select(Comment.voter_key, Comment.status, sa.func.count())
        .where(Comment.voter_key.in_(voter_keys))
        .group_by(Comment.voter_key, Comment.status)
    )
    history = {key: {"approved": 0, "rejected": 0} for key in voter_keys}
    for voter_key, status, count in rows:
        if status == S.APPROVED:
            history[voter_key]["approved"] += count
        elif status in (S.REJECTED, S.SPAM, S.HIDDEN):
            history[voter_key]["rejected"] += count
    return history


def pending_count() -> int:
    """Comments waiting in the queue (for a person or for the auto-moderator)."""
    return db.session.scalar(
        sa.select(sa.func.count(Comment.id)).where(Comment.status.in_(QUEUE_STATES))
    )


def thread_choices() -> list[tuple[str, str]]:
    """(key, title) of every thread, for the filters."""
    rows = db.session.execute(sa.select(Thread.key, Thread.title).order_by(Thread.title))
    return [(key, title or key) for key, title in rows]
