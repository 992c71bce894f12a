"""Likes: one per reader per comment. Redis answers repeats fast; the primary key decides."""

from __future__ import annotations

import contextlib

import sqlalchemy as sa
from redis.exceptions import RedisError
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from ..core.db import db
from ..core.redis import redis_client, rkey
from ..models import Comment, CommentLike, utcnow
from .status import thread_changed
from .threads import ThreadInfo

LIKE_MARK_SECONDS = 90 * 24 * 3600


def like_mark_key(comment_id: int, voter_key: str) -> str:
    """The Redis key that says ``voter_key`` has liked ``comment_id``."""
    return rkey("liked", comment_id, voter_key)


def add_like(comment_id: int, voter_key: str, thread: ThreadInfo) -> tuple[bool, int]:
    """Record one like; returns (counted, the comment's likes now)."""
    try:
        first = redis_client().set(
            like_mark_key(comment_id, voter_key), 1, nx=True, ex=LIKE_MARK_SECONDS
        )
    except RedisError:
        first = True  # the database's primary key still refuses a second like
    counted = False
    if first:
        try:
            db.session.add(
                CommentLike(comment_id=comment_id, voter_key=voter_key, created_at=utcnow())
            )
            db.session.flush()
            # An UPDATE expression: likes arriving together must all count.
            db.session.execute(
                sa.update(Comment).where(Comment.id == comment_id).values(likes=Comment.likes + 1)
            )
            db.session.commit()
            counted = True
        except IntegrityError:
            db.session.rollback()
        except SQLAlchemyError:
            # Not stored: give the mark back so that the reader can like it again.
            db.session.rollback()
            with contextlib.suppress(RedisError):
                redis_client().delete(like_mark_key(comment_id, voter_key))
            raise
    likes = db.session.scalar(sa.select(Comment.likes).where(Comment.id == comment_id)) or 0
    if counted:
        thread_changed(thread.id, thread.key)
    return counted, likes
