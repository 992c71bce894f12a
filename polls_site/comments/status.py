"""Moving a comment between states, with the thread's count and the readers' caches in step."""

from __future__ import annotations

import logging

import sqlalchemy as sa
from redis.exceptions import RedisError

from ..core.db import db
from ..core.redis import redis_client, rkey
from ..models import Comment, CommentStatus, Thread, utcnow
from ..notifications.events import record_status_change

log = logging.getLogger(__name__)


def thread_version_key(thread_id: int) -> str:
    """Redis key of a thread's version: bumped whenever what readers see of it changes."""
    return rkey("thread", thread_id, "version")


def comment_count_key(thread_key: str) -> str:
    """Redis key of the cached approved-comment count of one thread."""
    return rkey("comment_count", thread_key)


def comment_count_keys(thread_keys: list[str]) -> list[str]:
    """``comment_count_key`` of each thread key (the prefix is looked up once, not per key)."""
    prefix = rkey("comment_count", "")
    return [prefix + key for key in thread_keys]


def change_status(
    comment: Comment,
    status: CommentStatus,
    *,
    staff_id: int | None = None,
    reason: str | None = None,
) -> bool:
    """Set a comment's status in the session and keep its thread's count in step.

    Returns False (and changes nothing) when the comment already has that status. The
    caller commits and then calls `thread_changed`. `Comment.revision` is the mapper's
    version counter, so a concurrent change to the same comment makes the commit raise
    `sqlalchemy.orm.exc.StaleDataError` instead of applying both.
    """
    if comment.status == status:
        return False
    delta = int(status == CommentStatus.APPROVED) - int(comment.status == CommentStatus.APPROVED)
    comment.status = status
    comment.moderated_at = utcnow()
    comment.moderated_by = staff_id
    if reason is not None:
        comment.decision_reason = reason
    # Reply mail and moderators' events, enqueued only once this change is committed.
    record_status_change(comment, status)
    if delta:
        # An UPDATE expression: two comments approved at once must both count.
        db.session.execute(
            sa.update(Thread)
            .where(Thread.id == comment.thread_id)
            .values(comment_count=Thread.comment_count + delta)
        )
    return True


def thread_changed(thread_id: int, thread_key: str) -> None:
    """After a commit: tell polling readers there is something new and drop the cached count.

    Redis being down costs readers only freshness: versions and counts are rebuilt from
    the database on the next read.
    """
    try:
        pipe = redis_client().pipeline()
        pipe.incr(thread_version_key(thread_id))
        pipe.delete(comment_count_key(thread_key))
        pipe.execute()
    except RedisError:
        log.warning("redis unavailable: thread %s changed without telling its readers", thread_id)
