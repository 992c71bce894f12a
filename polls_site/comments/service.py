"""Writing comments: post, edit, delete, the author's own view; kept apart from HTTP."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app, request
from redis.exceptions import RedisError
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm.exc import StaleDataError

from ..core.clients import client_ip, ip_hash, limit_hash
from ..core.db import db
from ..core.redis import redis_client, rkey
from ..models import USER_AGENT_LENGTH, Ban, Comment, CommentStatus, Thread, utcnow
from ..widget.voters import Voter
from .automod.labels import reader_categories
from .jobs import enqueue_moderation
from .limits import admit_comment, admit_slow
from .policy import slow_mode_seconds
from .render import render_comment_html
from .status import change_status, thread_changed
from .threads import ThreadInfo, fresh_thread
from .trust import first_review

log = logging.getLogger(__name__)

# How long Redis remembers that a reader has written in a thread (see may_have_own).
AUTHOR_MARK_SECONDS = 90 * 24 * 3600
# Statuses an author still sees of their own comments; "review" waits for a person.
OWN_VISIBLE = (CommentStatus.PENDING, CommentStatus.REVIEW, CommentStatus.APPROVED)
WAITING = (CommentStatus.PENDING, CommentStatus.REVIEW)
# How long an author still finds a rejected comment of theirs under «Ваши комментарии»,
# with the reason's category: long enough to come back and see why, not for ever.
REJECTED_SHOWN_DAYS = 7


@dataclass(frozen=True)
class OwnComment:
    """One of the reader's own comments, with what they may still do to it."""

    id: int
    parent_id: int | None
    reply_to: str | None
    author_name: str
    html: str
    text: str
    status: str
    created_at: datetime
    edited_at: datetime | None
    editable: bool
    # For a rejected comment: the categories of the rules behind it (never the words).
    categories: tuple[str, ...] = ()

    @property
    def waiting(self) -> bool:
        """True while the comment awaits moderation ("на модерации")."""
        return self.status in WAITING

    @property
    def rejected(self) -> bool:
        """True for a comment the auto-moderator or a moderator rejected."""
        return self.status == CommentStatus.REJECTED


@dataclass
class PostOutcome:
    """What happened to a comment the form had accepted."""

    # "accepted", "closed", "banned", "limited", "slow", "unavailable", "no_parent", "stale"
    kind: str
    comment_id: int = 0
    retry_after: int = 0
    # The comment waits for a moderator whatever the auto-moderator says (the thread is
    # premoderated, or the reader is among their first PREMODERATE_FIRST_COMMENTS).
    reviewed: bool = False


def edit_deadline(created_at: datetime) -> datetime:
    """Until when the author may edit or delete a comment written at ``created_at``."""
    return created_at + timedelta(minutes=current_app.config["COMMENT_EDIT_MINUTES"])


def is_banned(voter_key: str, hashed_ip: str, now: datetime) -> bool:
    """True when a ban in force names this reader or this IP."""
    return (
        db.session.scalar(
            sa.select(Ban.id)
            .where(
                sa.or_(Ban.voter_key == voter_key, Ban.ip_hash == hashed_ip),
                Ban.lifted_at.is_(None),
                sa.or_(Ban.expires_at.is_(None), Ban.expires_at > now),
            )
            .limit(1)
        )
        is not None
    )


def author_mark_key(thread_id: int, voter_key: str) -> str:
    """The Redis key saying that ``voter_key`` has written in thread ``thread_id``."""
    return rkey("commented", thread_id, voter_key)


def may_have_own(thread_id: int, voter_key: str) -> bool:
    """False when Redis knows this reader has never written here (most readers).

    Lets a reader's page skip the own-comments query and be served from the shared
    cache. Without Redis the database is asked.
    """
    try:
        return bool(redis_client().exists(author_mark_key(thread_id, voter_key)))
    except RedisError:
        return True


def _mark_author(thread_id: int, voter_key: str) -> None:
    try:
        redis_client().set(author_mark_key(thread_id, voter_key), 1, ex=AUTHOR_MARK_SECONDS)
    except RedisError as exc:
        log.warning("author mark not stored (their own view may miss this comment): %s", exc)


def _parent_ok(thread: ThreadInfo, parent_id: int, voter: Voter) -> bool:
    parent = db.session.get(Comment, parent_id)
    if parent is None or parent.thread_id != thread.id:
        return False
    return parent.status == CommentStatus.APPROVED or (
        parent.voter_key == voter.key and parent.status in WAITING
    )


def post_comment(
    thread: ThreadInfo, voter: Voter, name: str, text: str, parent_id: int | None
) -> PostOutcome:
    """Store a new comment as pending and enqueue its moderation, or say why not.

    The thread's policy is read from the database, not the widget's cached copy: a
    thread closed a second ago takes no more comments.
    """
    now = utcnow()
    hashed_ip = ip_hash(client_ip())
    thread = fresh_thread(thread.id) or thread
    if thread.is_closed(now):
        return PostOutcome("closed")
    if parent_id is not None and not _parent_ok(thread, parent_id, voter):
        return PostOutcome("no_parent")
    if is_banned(voter.key, hashed_ip, now):
        return PostOutcome("banned")
    admission = admit_comment(voter.key, limit_hash(client_ip()))
    if admission.verdict == "limited":
        return PostOutcome("limited", retry_after=admission.retry_after)
    window = slow_mode_seconds(thread.slow_mode_minutes)
    if window:
        admission = admit_slow(thread.id, voter.key, window)
        if admission.verdict == "limited":
            return PostOutcome("slow", retry_after=admission.retry_after)
    comment = Comment(
        thread_id=thread.id,
        parent_id=parent_id,
        author_name=name,
        text=text,
        html=render_comment_html(text),
        status=CommentStatus.PENDING,
        voter_key=voter.key,
        ip_hash=hashed_ip,
        user_agent=request.headers.get("User-Agent", "")[:USER_AGENT_LENGTH] or None,
        created_at=now,
    )
    # The UPDATE flushes the comment's INSERT: both inside the try, so a failure of either
    # is the reader's "not stored, try again" with their text kept.
    try:
        db.session.add(comment)
        if thread.first_comment_at is None:
            # Only the first writer sets it: THREAD_AUTO_CLOSE_DAYS counts from here.
            db.session.execute(
                sa.update(Thread)
                .where(Thread.id == thread.id, Thread.first_comment_at.is_(None))
                .values(first_comment_at=now)
            )
        db.session.commit()
    except SQLAlchemyError:
        db.session.rollback()
        log.exception("comment for thread %s not stored", thread.id)
        return PostOutcome("unavailable")
    _mark_author(thread.id, voter.key)
    enqueue_moderation(comment.id)
    reviewed = (
        thread.premoderated or current_app.config["PREMODERATE_ALL"] or first_review(voter.key)
    )
    return PostOutcome("accepted", comment_id=comment.id, reviewed=reviewed)


def own_comment(comment_id: int, thread: ThreadInfo, voter: Voter) -> Comment | None:
    """The reader's own comment in this thread, if it is one they still see."""
    comment = db.session.get(Comment, comment_id)
    if (
        comment is None
        or comment.thread_id != thread.id
        or comment.voter_key != voter.key
        or comment.status not in OWN_VISIBLE
    ):
        return None
    return comment


def may_change(comment: Comment, now: datetime | None = None) -> bool:
    """True while the author's edit window is open."""
    return (now or utcnow()) < edit_deadline(comment.created_at)


def edit_comment(comment: Comment, thread: ThreadInfo, text: str, voter: Voter) -> PostOutcome:
    """Replace the text (through the one rendering path) and send it back to moderation.

    An edit counts against the comment limits like a new comment (each one is moderated
    again); "stale" when a moderator changed the comment at the same moment.
    Refused ("closed") once the thread is closed; slow mode does not apply to edits (a
    typo fixed within the edit window is not a new comment).
    """
    fresh = fresh_thread(thread.id)
    if fresh is not None and fresh.is_closed():
        return PostOutcome("closed", comment.id)
    admission = admit_comment(voter.key, limit_hash(client_ip()))
    if admission.verdict == "limited":
        return PostOutcome("limited", comment.id, admission.retry_after)
    comment.text = text
    comment.html = render_comment_html(text)
    comment.edited_at = utcnow()
    change_status(comment, CommentStatus.PENDING)
    if not _commit_change(thread):
        return PostOutcome("stale", comment.id)
    enqueue_moderation(comment.id)
    return PostOutcome("accepted", comment.id)


def delete_comment(comment: Comment, thread: ThreadInfo) -> bool:
    """Mark the comment deleted by its author; False on a concurrent moderator change."""
    change_status(comment, CommentStatus.DELETED)
    return _commit_change(thread)


def _commit_change(thread: ThreadInfo) -> bool:
    # The author's change loses to a moderator's (or the worker's) that committed first.
    try:
        db.session.commit()
    except StaleDataError:
        db.session.rollback()
        return False
    thread_changed(thread.id, thread.key)
    return True


# Every widget page asks this, mostly for readers who have written nothing: the
# statement is built once, so a request pays only for running it.
_OWN_COMMENTS = (
    sa.select(Comment)
    .where(
        Comment.thread_id == sa.bindparam("thread_id"),
        Comment.voter_key == sa.bindparam("voter_key"),
        sa.or_(
            Comment.status.in_(WAITING),
            sa.and_(
                Comment.status == CommentStatus.APPROVED,
                Comment.created_at > sa.bindparam("window_start"),
            ),
            sa.and_(
                Comment.status == CommentStatus.REJECTED,
                Comment.moderated_at > sa.bindparam("rejected_since"),
            ),
        ),
    )
    .order_by(Comment.id.desc())
)


def own_comments(thread: ThreadInfo, voter: Voter) -> list[OwnComment]:
    """The reader's comments they should see apart from the shared list.

    That is every comment still awaiting moderation, approved ones while they may
    still be edited or deleted, and ones rejected within REJECTED_SHOWN_DAYS, with the
    categories of the reasons (so a comment never silently disappears). Nobody else is
    ever shown these.
    """
    if not may_have_own(thread.id, voter.key):
        return []
    now = utcnow()
    window_start = now - timedelta(minutes=current_app.config["COMMENT_EDIT_MINUTES"])
    comments = db.session.scalars(
        _OWN_COMMENTS,
        {
            "thread_id": thread.id,
            "voter_key": voter.key,
            "window_start": window_start,
            "rejected_since": now - timedelta(days=REJECTED_SHOWN_DAYS),
        },
    ).all()
    parent_ids = {c.parent_id for c in comments if c.parent_id is not None}
    names = {}
    if parent_ids:
        names = dict(
            db.session.execute(
                sa.select(Comment.id, Comment.author_name).where(Comment.id.in_(parent_ids))
            ).all()
        )
    return [
        OwnComment(
            id=c.id,
            parent_id=c.parent_id,
            reply_to=names.get(c.parent_id),
            author_name=c.author_name,
            html=c.html,
            text=c.text,
            status=c.status,
            created_at=c.created_at,
            edited_at=c.edited_at,
            editable=c.status != CommentStatus.REJECTED and may_change(c, now),
            categories=(
                tuple(reader_categories(c.reasons)) if c.status == CommentStatus.REJECTED else ()
            ),
        )
        for c in comments
    ]
