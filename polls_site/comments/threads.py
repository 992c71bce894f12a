"""Threads and the approved comments readers see, read cheaply.

A thread's version lives in Redis (bumped by `status.thread_changed`); the rendered
comment list is cached per version, so an unchanged thread costs a Redis read.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask import current_app
from redis.exceptions import RedisError
from sqlalchemy.exc import IntegrityError

from ..core.db import db
from ..core.near_cache import near_cache
from ..core.redis import redis_client
from ..models import Comment, CommentStatus, Thread, utcnow
from .policy import auto_close_at, is_closed
from .status import thread_changed, thread_version_key
from .tree import CommentRow

# The portal's title and URL arrive in the query string; NUL would not even store.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
MAX_TITLE_LENGTH = 300
MAX_URL_LENGTH = 1000


@dataclass(frozen=True)
class ThreadInfo:
    """A thread as the widget needs it, detached from the session."""

    id: int
    key: str
    title: str
    url: str
    # The thread's policy (comments/policy.py), as staff set it on the thread page.
    premoderated: bool = False
    closed_at: datetime | None = None
    keep_open: bool = False
    slow_mode_minutes: int = 0
    first_comment_at: datetime | None = None

    def closes_at(self) -> datetime | None:
        """When THREAD_AUTO_CLOSE_DAYS closes the thread (None: never, or reopened)."""
        if self.closed_at is not None or self.keep_open:
            return None
        return auto_close_at(self.first_comment_at, current_app.config["THREAD_AUTO_CLOSE_DAYS"])

    def is_closed(self, now: datetime | None = None) -> bool:
        """True when readers may no longer post here (closed by staff or by the date)."""
        return is_closed(
            self.closed_at,
            self.keep_open,
            self.first_comment_at,
            current_app.config["THREAD_AUTO_CLOSE_DAYS"],
            now or utcnow(),
        )


def thread_info(thread: Thread) -> ThreadInfo:
    """A detached copy of ``thread`` for the widget."""
    return ThreadInfo(
        thread.id,
        thread.key,
        thread.title,
        thread.url,
        premoderated=thread.premoderated,
        closed_at=thread.closed_at,
        keep_open=thread.keep_open,
        slow_mode_minutes=thread.slow_mode_minutes,
        first_comment_at=thread.first_comment_at,
    )


def fresh_thread(thread_id: int) -> ThreadInfo | None:
    """The thread as the database has it now (a post must not trust a cached copy)."""
    thread = db.session.get(Thread, thread_id, populate_existing=True)
    return thread_info(thread) if thread is not None else None


def find_thread(key: str) -> ThreadInfo | None:
    """The thread with ``key``, or None (a web process may reuse it for NEAR_CACHE_SECONDS)."""

    def load() -> ThreadInfo | None:
        thread = db.session.scalar(sa.select(Thread).where(Thread.key == key))
        return thread_info(thread) if thread is not None else None

    return near_cache().get_or_load(("thread", key), load)


def clean_field(value: str, length: int) -> str:
    """A title or URL as stored: control characters dropped, trimmed, cut to ``length``."""
    return _CONTROL.sub("", value).strip()[:length]


def open_thread(key: str, title: str, url: str) -> ThreadInfo:
    """Create the thread for ``key`` (the caller has checked key and origin); race-safe."""
    thread = Thread(
        key=key,
        title=clean_field(title, MAX_TITLE_LENGTH),
        url=clean_field(url, MAX_URL_LENGTH),
    )
    db.session.add(thread)
    try:
        db.session.commit()
    except IntegrityError:
        # Another reader's first view created it a moment ago.
        db.session.rollback()
        thread = db.session.scalar(sa.select(Thread).where(Thread.key == key))
    return thread_info(thread)


def correct_thread(thread: ThreadInfo, title: str, url: str) -> ThreadInfo:
    """Give the thread the title and URL of a signed view, if they differ from its own.

    Most signed views bring what the thread has: they cost no write. A change bumps the
    thread's version, so the cached pages (whose <title> names the thread) are rendered anew.
    """
    title, url = clean_field(title, MAX_TITLE_LENGTH), clean_field(url, MAX_URL_LENGTH)
    if (title, url) == (thread.title, thread.url):
        return thread
    # Only rows that still differ: another process, its cached copy a second old, may
    # bring the same correction again, and that must not bump the version once more.
    changed = db.session.execute(
        sa.update(Thread)
        .where(Thread.id == thread.id, sa.or_(Thread.title != title, Thread.url != url))
        .values(title=title, url=url)
    ).rowcount
    db.session.commit()
    near_cache().forget(("thread", thread.key))
    if changed:
        near_cache().forget(("thread-version", thread.id))
        thread_changed(thread.id, thread.key)
    return dataclasses.replace(thread, title=title, url=url)


def thread_version(thread_id: int) -> str | None:
    """The thread's version as Redis knows it ("0" before any change), None without Redis."""

    def load() -> str | None:
        try:
            value = redis_client().get(thread_version_key(thread_id))
        except RedisError:
            return None
        return value.decode() if value is not None else "0"

    return near_cache().get_or_load(("thread-version", thread_id), load)


_ROW_COLUMNS = (
    Comment.id,
    Comment.parent_id,
    Comment.author_name,
    Comment.html,
    Comment.created_at,
    Comment.edited_at,
    Comment.likes,
    Comment.staff_badge,
    Comment.pinned_at,
    Comment.picked_at.is_not(None),
)


def approved_rows(thread_id: int) -> list[CommentRow]:
    """Every approved comment of the thread, oldest first."""
    rows = db.session.execute(
        sa.select(*_ROW_COLUMNS)
        .where(Comment.thread_id == thread_id, Comment.status == CommentStatus.APPROVED)
        .order_by(Comment.id)
    ).all()
    return [CommentRow(*row) for row in rows]


def count_newer(thread_id: int, since: int) -> int:
    """How many approved comments of the thread are newer than comment id ``since``."""
    return db.session.scalar(
        sa.select(sa.func.count(Comment.id)).where(
            Comment.thread_id == thread_id,
            Comment.status == CommentStatus.APPROVED,
            Comment.id > since,
        )
    )


@dataclass(frozen=True)
class FeedEntry:
    """An approved comment as a feed shows it."""

    id: int
    author_name: str
    html: str
    created_at: datetime
    edited_at: datetime | None
    thread_key: str
    thread_title: str
    thread_url: str


def latest_approved(limit: int, thread_id: int | None = None) -> list[FeedEntry]:
    """The newest approved comments, site-wide or of one thread."""
    query = (
        sa.select(
            Comment.id,
            Comment.author_name,
            Comment.html,
            Comment.created_at,
            Comment.edited_at,
            Thread.key,
            Thread.title,
            Thread.url,
        )
        .join(Thread, Thread.id == Comment.thread_id)
        .where(Comment.status == CommentStatus.APPROVED)
        .order_by(Comment.id.desc())
        .limit(limit)
    )
    if thread_id is not None:
        query = query.where(Comment.thread_id == thread_id)
    return [FeedEntry(*row) for row in db.session.execute(query).all()]
