"""Where comment flow tells notifications what happened; delivery is the worker's job.

`record_status_change` is called by `comments.status.change_status` for every status
change; the events are enqueued only once the change is committed (a rolled-back
decision notifies nobody), so a reply mail can never precede the approval it depends on.
`comment_reported` is for the reader-reports code, after its commit.
"""

from __future__ import annotations

import logging

from redis.exceptions import RedisError
from sqlalchemy import event
from sqlalchemy.orm import Session

from ..core.db import db
from ..core.jobs import NOTIFICATIONS, site_job_id, task_queue, unique_job_id
from ..models import Comment, CommentStatus, ReplySubscription
from .jobs import moderator_notice, notification_options, notify_reply, send_confirmation
from .subscriptions import subscribe

log = logging.getLogger(__name__)

_PENDING = "notify_events"


def record_status_change(comment: Comment, status: str) -> None:
    """Note, in the comment's session, that ``comment`` moves to ``status``."""
    if status == CommentStatus.APPROVED and comment.parent_id is not None:
        _note(("reply_approved", comment.id))
    elif status == CommentStatus.REVIEW:
        _note(("review", comment.id))


def _note(item: tuple[str, int]) -> None:
    db.session.info.setdefault(_PENDING, []).append(item)


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    for kind, comment_id in session.info.pop(_PENDING, []):
        if kind == "reply_approved":
            reply_approved(comment_id)
        else:
            moderator_event(kind, comment_id)


@event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    session.info.pop(_PENDING, None)


def _enqueue(func, *args, job_id: str) -> bool:
    try:
        task_queue(NOTIFICATIONS).enqueue(func, *args, **notification_options(job_id))
    except RedisError as exc:
        log.warning("notification %s not enqueued, Redis unavailable: %s", job_id, exc)
        return False
    return True


def reply_approved(comment_id: int) -> bool:
    """Enqueue the reply mail for an approved comment (the job checks it is still approved)."""
    return _enqueue(notify_reply, comment_id, job_id=unique_job_id(f"notify-reply-{comment_id}"))


def moderator_event(kind: str, comment_id: int | None) -> bool:
    """Enqueue a moderators' event ("review", "reported", "queue_old", "test")."""
    return _enqueue(moderator_notice, kind, comment_id, job_id=unique_job_id(f"notify-{kind}"))


def comment_reported(comment: Comment) -> bool:
    """Tell moderators that readers reported ``comment``; call it after the report's commit."""
    return moderator_event("reported", comment.id)


def subscription_created(subscription_id: int) -> bool:
    """Enqueue the confirmation mail of a new, unconfirmed subscription."""
    job_id = site_job_id(f"notify-confirm-{subscription_id}")
    return _enqueue(send_confirmation, subscription_id, job_id=job_id)


def subscribe_to_replies(
    comment_id: int, thread_id: int, email: str, lang: str
) -> ReplySubscription | None:
    """From the comment form: subscribe ``email`` to replies to the new comment and, unless
    the address confirmed before, enqueue the confirmation mail. None if not stored."""
    subscription = subscribe(comment_id, thread_id, email, lang)
    if subscription is not None and subscription.confirmed_at is None:
        subscription_created(subscription.id)
    return subscription
