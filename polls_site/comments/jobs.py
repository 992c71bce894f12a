"""RQ jobs of the auto-moderator: decide a pending comment, and catch up on lost jobs.

A new or edited comment is stored ``pending`` and ``moderate_comment(comment_id)`` is
enqueued (``enqueue_moderation`` gives it a per-comment job id so a comment waits in the
queue once). The job acts only on a comment that is still pending, so a second run, a
retry or a run racing a moderator changes nothing. If the worker was down or a job was
lost, ``reconcile_comments`` (run by the worker's ticker) enqueues every comment left
pending for longer than PENDING_GRACE seconds; after Redis came back with another epoch
(core.redis.server_epoch) ``reconcile_every_pending_comment`` does so without the grace.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from redis.exceptions import RedisError
from rq.exceptions import DuplicateJobError
from rq.job import JobStatus
from sqlalchemy.orm.exc import StaleDataError

from ..core.db import db
from ..core.jobs import MODERATION, job_fields, job_options, site_job_id, task_queue
from ..core.metrics import count_moderation, timed_job
from ..models import Ban, Comment, CommentStatus, utcnow
from .automod.rules import APPROVE, REJECT, REVIEW, Context, Verdict, evaluate
from .automod.store import load_rules
from .status import change_status, thread_changed
from .trust import first_review

log = logging.getLogger(__name__)

# A comment pending for longer than this has lost its job (or the worker was down).
PENDING_GRACE = 60
# Comments the job reads to judge duplicates and velocity: the author's latest ones.
_RECENT_LIMIT = 200
# Attempts when the comment changes (an edit, a moderator) while the job decides.
_ATTEMPTS = 3

_STATUS = {
    APPROVE: CommentStatus.APPROVED,
    REVIEW: CommentStatus.REVIEW,
    REJECT: CommentStatus.REJECTED,
}
_FINISHED = {JobStatus.FINISHED, JobStatus.FAILED, JobStatus.STOPPED, JobStatus.CANCELED}


def enqueue_moderation(comment_id: int) -> bool:
    """Enqueue ``moderate_comment(comment_id)`` unless it already waits; False if Redis failed.

    Call it after committing a new or edited (pending) comment. A job that already waits
    or runs will read the latest text (a run that overlaps the edit sees the revision
    change and decides again).
    """
    queue = task_queue(MODERATION)
    # One job per comment: an edit while it waits is read by that same job.
    options = {**job_options(site_job_id(f"moderate-{comment_id}"), timeout=60), "unique": True}
    try:
        try:
            queue.enqueue(moderate_comment, comment_id, **options)
        except DuplicateJobError:
            job = queue.fetch_job(options["job_id"])
            if job is not None and job.get_status(refresh=False) not in _FINISHED:
                return True
            # A failed job's record stays for failure_ttl: replace it with a fresh one.
            if job is not None:
                job.delete()
            queue.enqueue(moderate_comment, comment_id, **options)
    except DuplicateJobError:
        return True  # another process enqueued it in between
    except RedisError as exc:
        log.warning("moderation of comment %s not enqueued (reconcile will): %s", comment_id, exc)
        return False
    return True


def author_context(comment: Comment, settings: Mapping[str, int | float]) -> Context:
    """What the rules need from the database: the author's recent comments and any ban.

    The author is the same voter or the same IP hash. Windows are counted back from when
    the comment was written, so a backlog processed late is judged as it was posted.
    """
    same_author = Comment.voter_key == comment.voter_key
    ban_target = Ban.voter_key == comment.voter_key
    if comment.ip_hash:
        same_author = sa.or_(same_author, Comment.ip_hash == comment.ip_hash)
        ban_target = sa.or_(ban_target, Ban.ip_hash == comment.ip_hash)
    written = comment.created_at
    duplicate_since = written - timedelta(seconds=settings["duplicate_window_seconds"])
    velocity_since = written - timedelta(seconds=settings["velocity_seconds"])
    recent = db.session.execute(
        sa.select(Comment.text, Comment.created_at)
        .where(
            same_author,
            Comment.id != comment.id,
            Comment.status != CommentStatus.DELETED,
            Comment.created_at <= written,
            Comment.created_at >= min(duplicate_since, velocity_since),
        )
        .order_by(Comment.created_at.desc())
        .limit(_RECENT_LIMIT)
    ).all()
    now = utcnow()
    ban_reason = db.session.scalars(
        sa.select(Ban.reason)
        .where(
            ban_target,
            Ban.lifted_at.is_(None),
            sa.or_(Ban.expires_at.is_(None), Ban.expires_at > now),
        )
        .limit(1)
    ).first()
    return Context(
        recent_texts=[text for text, at in recent if at >= duplicate_since],
        recent_count=sum(at >= velocity_since for _text, at in recent),
        banned=ban_reason is not None,
        ban_reason=ban_reason or "",
    )


def _premoderation(comment: Comment) -> str | None:
    if current_app.config["PREMODERATE_ALL"]:
        return "site"
    if comment.thread.premoderated:
        return "thread"
    if first_review(comment.voter_key):
        return "first"
    return None


def _decide(comment_id: int) -> tuple[Comment, CommentStatus, Verdict] | None:
    for _attempt in range(_ATTEMPTS):
        comment = db.session.get(Comment, comment_id, populate_existing=True)
        if comment is None or comment.status != CommentStatus.PENDING:
            db.session.rollback()
            return None
        rules = load_rules()
        verdict = evaluate(comment.text, rules, context=author_context(comment, rules.settings))
        status = _STATUS[verdict.outcome]
        reasons = list(verdict.reasons)
        premoderation = _premoderation(comment)
        if status == CommentStatus.APPROVED and premoderation:
            status = CommentStatus.REVIEW
            reasons.append(
                {"rule": "premoderation", "score": 0, "detail": premoderation, "spans": []}
            )
        try:
            comment.score = verdict.score
            comment.reasons = reasons
            change_status(comment, status)
            db.session.commit()
        except StaleDataError:
            # Edited or decided by someone else meanwhile: look again.
            db.session.rollback()
            continue
        return comment, status, verdict
    log.warning("comment %s kept changing; left pending for the reconcile pass", comment_id)
    return None


def moderate_comment(comment_id: int) -> str | None:
    """RQ job: score a pending comment and approve it, queue it for review or reject it.

    Returns the new status, or None when the comment is gone or no longer pending.
    """
    with timed_job("moderate_comment"):
        started = time.perf_counter()
        try:
            decided = _decide(comment_id)
            if decided is not None:
                comment, status, verdict = decided
                thread_id, thread_key = comment.thread_id, comment.thread.key
        finally:
            db.session.remove()
        if decided is None:
            log.info("comment not pending", extra={"comment_id": comment_id, **job_fields(started)})
            return None
        thread_changed(thread_id, thread_key)
        count_moderation(status)
        log.info(
            "comment moderated",
            extra={
                "comment_id": comment_id,
                "thread_id": thread_id,
                "status": str(status),
                "score": verdict.score,
                "rules": [reason["rule"] for reason in verdict.reasons],
                **job_fields(started),
            },
        )
        return str(status)


def stale_pending_ids(grace: int = PENDING_GRACE, limit: int = 1000) -> list[int]:
    """Comments pending (since written or last edited) for longer than ``grace`` seconds."""
    cutoff = utcnow() - timedelta(seconds=grace)
    return list(
        db.session.scalars(
            sa.select(Comment.id)
            .where(
                Comment.status == CommentStatus.PENDING,
                Comment.created_at < cutoff,
                sa.or_(Comment.edited_at.is_(None), Comment.edited_at < cutoff),
            )
            .order_by(Comment.id)
            .limit(limit)
        )
    )


def reconcile_comments(grace: int = PENDING_GRACE) -> list[int]:
    """RQ job: enqueue the moderation of every comment pending for over ``grace`` seconds."""
    with timed_job("reconcile_comments"):
        try:
            stale = stale_pending_ids(grace)
        finally:
            db.session.remove()
        for comment_id in stale:
            enqueue_moderation(comment_id)
        if stale:
            log.info("pending comments re-enqueued", extra={"comments": stale[:50]})
        return stale


def reconcile_every_pending_comment() -> list[int]:
    """RQ job: enqueue the moderation of every pending comment, however new.

    Run after Redis came back with another epoch (a Sentinel failover, a restart): the
    comments posted while it was away had their moderation refused, and the promoted
    replica may lack the last enqueued jobs. A comment whose job still waits is skipped
    (one job per comment), so the grace is not needed.
    """
    return reconcile_comments(grace=0)
