"""RQ jobs (recompute and reconcile results) and the app-side helpers that enqueue them.

Jobs take ids, are idempotent and run inside the app context that worker.py pushes.
What readers see is stored in SQL (the snapshot); Redis only carries the version
number that lets an unchanged poll answer 204 without touching the database.
"""

from __future__ import annotations

import logging
import secrets
import time
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app
from redis.exceptions import RedisError
from rq import Retry, get_current_job
from sqlalchemy.exc import IntegrityError

from . import ratelimit
from .archive_cache import forget_archive
from .extensions import db, lua_script, redis_client, rkey, task_queue
from .logs import current_request_id
from .metrics import timed_job
from .models import (
    Ballot,
    BallotChoice,
    Comment,
    Option,
    Poll,
    PollStatus,
    ResultSnapshot,
    utcnow,
)
from .results import build_rows

log = logging.getLogger(__name__)

# A pending marker coalesces a burst of votes into one job. The job clears it
# *before* counting, so a vote committed before the clear is counted by this job
# and a vote after it enqueues the next one. (RQ's unique=True on a fixed job id
# would refuse that next job while this one still runs and lose the vote until
# the reconcile pass.) The TTL heals a marker left by a failed enqueue.
PENDING_TTL = 60

# Claims the pending marker; returns -1 if a recount is already pending, else how
# many milliseconds to wait so that recounts of one poll keep their minimum interval.
_CLAIM_RECOMPUTE = """
if not redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[3]) then return -1 end
local wait = tonumber(redis.call('GET', KEYS[2]) or '0') + tonumber(ARGV[2]) - tonumber(ARGV[1])
if wait < 0 then return 0 end
return wait
"""

_PUBLISH_VERSION = """
local current = tonumber(redis.call('GET', KEYS[1]) or '-1')
if tonumber(ARGV[1]) > current then
  redis.call('SET', KEYS[1], ARGV[1])
  return 1
end
return 0
"""


def job_fields(started: float) -> dict:
    """What a job's log line carries: its id, the request that asked for it, its time."""
    job = get_current_job()
    fields = {"ms": round((time.perf_counter() - started) * 1000, 2)}
    if job is not None:
        fields["job_id"] = job.id
        fields["request_id"] = job.meta.get("request_id")
    return fields


def site_job_id(name: str) -> str:
    """A job id under this site's prefix, so that a site's jobs are findable in a shared Redis."""
    return current_app.config["REDIS_KEY_PREFIX"].replace(":", "-") + name


def _job_id(name: str) -> str:
    # Unique per enqueue (see PENDING_TTL above).
    return site_job_id(f"{name}-{secrets.token_hex(4)}")


def job_options(job_id: str, timeout: int) -> dict[str, Any]:
    """How the app's event jobs are enqueued: retried, results dropped, failures kept a week.

    The request id of the request that enqueued the job follows it into the worker's log.
    """
    return {
        "job_id": job_id,
        "retry": Retry(max=3, interval=[1, 5, 15]),
        "result_ttl": 0,
        "failure_ttl": 7 * 24 * 3600,
        "job_timeout": timeout,
        "meta": {"request_id": current_request_id()},
    }


def version_key(poll_id: int) -> str:
    """Redis key holding the version of a poll's latest snapshot."""
    return rkey("poll", poll_id, "v")


def publish_version(poll_id: int, version: int) -> None:
    """Tell the request path about a new snapshot version (never moves backwards).

    A version newer than the published one also drops the cached archive pages.
    """
    try:
        newer = lua_script(_PUBLISH_VERSION)(keys=[version_key(poll_id)], args=[version])
    except RedisError as exc:
        log.warning("could not publish version %s of poll %s: %s", version, poll_id, exc)
        return
    if newer:
        forget_archive()


def request_recompute(poll_id: int) -> bool:
    """Enqueue a recompute of ``poll_id`` unless one is already pending; False if Redis failed."""
    client = redis_client()
    pending = rkey("recompute-pending", poll_id)
    min_gap_ms = int(current_app.config["RECOMPUTE_MIN_INTERVAL"] * 1000)
    try:
        wait_ms = lua_script(_CLAIM_RECOMPUTE)(
            keys=[pending, rkey("recomputed-at", poll_id)],
            args=[int(time.time() * 1000), min_gap_ms, PENDING_TTL],
        )
        if wait_ms < 0:
            return True
        options = job_options(_job_id(f"recompute-{poll_id}"), timeout=120)
        try:
            if wait_ms == 0:
                task_queue().enqueue(recompute_results, poll_id, **options)
            else:
                # Run by the worker's scheduler once the interval has passed.
                task_queue().enqueue_in(
                    timedelta(milliseconds=wait_ms), recompute_results, poll_id, **options
                )
        except RedisError:
            client.delete(pending)
            raise
    except RedisError as exc:
        log.warning("recompute of poll %s not enqueued (reconcile will catch up): %s", poll_id, exc)
        return False
    return True


def counted_ballot(closes_at: datetime | None) -> sa.ColumnElement[bool]:
    """The SQL condition for a ballot that counts: not voided, and cast before the close.

    A closed poll's results are frozen at its closing time: a ballot stored later
    (by a web process still holding the poll as open) is never counted.
    """
    condition = Ballot.voided_at.is_(None)
    if closes_at is not None:
        condition = sa.and_(condition, Ballot.created_at < closes_at)
    return condition


def compute_snapshot(poll_id: int) -> ResultSnapshot | None:
    """Recount ``poll_id`` from its ballots and store the snapshot; None if the poll is gone.

    The first statement locks the snapshot row (an UPDATE locks on PostgreSQL and
    takes SQLite's write lock), so two workers recounting one poll take turns and
    the later snapshot is never overwritten by an older count.
    """
    for _attempt in range(3):
        locked = db.session.execute(
            sa.update(ResultSnapshot)
            .where(ResultSnapshot.poll_id == poll_id)
            .values(version=ResultSnapshot.version)
        ).rowcount
        if locked:
            break
        if db.session.get(Poll, poll_id) is None:
            db.session.rollback()
            return None
        db.session.add(ResultSnapshot(poll_id=poll_id, rows=[], version=0))
        try:
            db.session.commit()
        except IntegrityError:
            db.session.rollback()
    else:
        raise RuntimeError(f"could not lock the snapshot of poll {poll_id}")

    closes_at = db.session.scalar(sa.select(Poll.closes_at).where(Poll.id == poll_id))
    voters, last_id = db.session.execute(
        sa.select(sa.func.count(Ballot.id), sa.func.coalesce(sa.func.max(Ballot.id), 0)).where(
            Ballot.poll_id == poll_id, counted_ballot(closes_at)
        )
    ).one()
    # Count only ballots up to last_id so that counts and voters agree even if
    # another ballot commits between the two statements.
    counts = dict(
        db.session.execute(
            sa.select(BallotChoice.option_id, sa.func.count())
            .join(Ballot, Ballot.id == BallotChoice.ballot_id)
            .where(
                BallotChoice.poll_id == poll_id,
                BallotChoice.ballot_id <= last_id,
                counted_ballot(closes_at),
            )
            .group_by(BallotChoice.option_id)
        ).all()
    )
    # Hidden options are out of the results: percentages are shares of the votes
    # for the visible options, and the total counts only those votes.
    option_ids = list(
        db.session.scalars(
            sa.select(Option.id)
            .where(Option.poll_id == poll_id, Option.hidden.is_(False))
            .order_by(Option.position, Option.id)
        )
    )
    counts = {option_id: counts.get(option_id, 0) for option_id in option_ids}
    rows = build_rows(option_ids, counts)
    snapshot = db.session.get(ResultSnapshot, poll_id, populate_existing=True)
    changed = (snapshot.rows, snapshot.voters, snapshot.last_ballot_id) != (rows, voters, last_id)
    if changed or snapshot.version == 0:
        snapshot.version += 1
    snapshot.rows = [dict(r) for r in rows]
    snapshot.total = sum(counts.values())
    snapshot.voters = voters
    snapshot.last_ballot_id = last_id
    snapshot.computed_at = utcnow()
    db.session.commit()
    return snapshot


def recompute_results(poll_id: int) -> int | None:
    """RQ job: recount a poll from its ballots; returns the snapshot version."""
    with timed_job("recompute_results"):
        return _recompute(poll_id)


def _recompute(poll_id: int) -> int | None:
    started = time.perf_counter()
    try:
        redis_client().pipeline().delete(rkey("recompute-pending", poll_id)).set(
            rkey("recomputed-at", poll_id), int(time.time() * 1000), ex=PENDING_TTL
        ).execute()
    except RedisError as exc:
        log.warning("could not clear the pending marker of poll %s: %s", poll_id, exc)
    try:
        snapshot = compute_snapshot(poll_id)
        if snapshot is None:
            return None
        version, voters = snapshot.version, snapshot.voters
    finally:
        db.session.remove()
    publish_version(poll_id, version)
    log.info(
        "poll recomputed",
        extra={"poll_id": poll_id, "version": version, "voters": voters, **job_fields(started)},
    )
    return version


def stale_poll_ids() -> list[int]:
    """Polls whose snapshot is missing or does not match their ballots."""
    ballots = (
        sa.select(
            Ballot.poll_id,
            sa.func.count(Ballot.id).label("voters"),
            sa.func.max(Ballot.id).label("last_id"),
        )
        .join(Poll, Poll.id == Ballot.poll_id)
        .where(
            Ballot.voided_at.is_(None),
            sa.or_(Poll.closes_at.is_(None), Ballot.created_at < Poll.closes_at),
        )
        .group_by(Ballot.poll_id)
        .subquery()
    )
    query = (
        sa.select(Poll.id)
        .outerjoin(ballots, ballots.c.poll_id == Poll.id)
        .outerjoin(ResultSnapshot, ResultSnapshot.poll_id == Poll.id)
        .where(Poll.status != PollStatus.DRAFT)
        .where(
            sa.or_(
                ResultSnapshot.poll_id.is_(None),
                sa.func.coalesce(ballots.c.voters, 0) != ResultSnapshot.voters,
                sa.func.coalesce(ballots.c.last_id, 0) != ResultSnapshot.last_ballot_id,
            )
        )
        .order_by(Poll.id)
    )
    return list(db.session.scalars(query))


def rebuild_dedupe_keys(batch: int = 5000) -> int:
    """Mark the voters of open polls as having voted again, once after Redis lost its data.

    Returns how many keys were written (0 when Redis still has them).
    """
    client = redis_client()
    marker = rkey("dedupe-rebuilt")
    if client.exists(marker):
        return 0
    now = utcnow()
    rows = db.session.execute(
        sa.select(Ballot.poll_id, Ballot.voter_key, Poll.closes_at)
        .join(Poll, Poll.id == Ballot.poll_id)
        .where(Poll.status == PollStatus.OPEN)
        .execution_options(yield_per=batch)
    )
    pipe = client.pipeline(transaction=False)
    written = 0
    for poll_id, voter_key, closes_at in rows:
        ttl = ratelimit.dedupe_ttl(closes_at, now)
        pipe.set(ratelimit.dedupe_key(poll_id, voter_key), 1, nx=True, ex=ttl)
        written += 1
        if written % batch == 0:
            pipe.execute()
    pipe.execute()
    client.set(marker, 1)
    log.info("rebuilt %s vote dedupe keys from the ballots", written)
    return written


def reconcile_results() -> list[int]:
    """RQ job: recompute every stale poll and republish every version to Redis.

    Catches votes taken while Redis was down (no job was enqueued for them) and
    rebuilds the version and dedupe keys after Redis lost its data.
    """
    with timed_job("reconcile_results"):
        return _reconcile()


def _reconcile() -> list[int]:
    try:
        rebuild_dedupe_keys()
        stale = stale_poll_ids()
        for poll_id in stale:
            compute_snapshot(poll_id)
        versions = db.session.execute(
            sa.select(ResultSnapshot.poll_id, ResultSnapshot.version)
        ).all()
    finally:
        db.session.remove()
    for poll_id, version in versions:
        publish_version(poll_id, version)
    if stale:
        log.info("reconciled stale polls", extra={"polls": stale})
    return stale


def purge_expired_ip_hashes() -> int:
    """RQ job: clear the IP hashes of ballots, and the IP hashes and user agents of comments,
    older than RETENTION_DAYS; returns how many rows it cleared."""
    with timed_job("purge_expired_ip_hashes"):
        cutoff = utcnow() - timedelta(days=current_app.config["RETENTION_DAYS"])
        try:
            ballots = db.session.execute(
                sa.update(Ballot)
                .where(
                    Ballot.created_at < cutoff,
                    sa.or_(Ballot.ip_hash.is_not(None), Ballot.net_hash.is_not(None)),
                )
                .values(ip_hash=None, net_hash=None)
            ).rowcount
            # A bulk UPDATE leaves Comment.revision alone: a moderator's decision on the
            # same comment is not refused because its IP hash was purged meanwhile.
            comments = db.session.execute(
                sa.update(Comment)
                .where(
                    Comment.created_at < cutoff,
                    sa.or_(Comment.ip_hash.is_not(None), Comment.user_agent.is_not(None)),
                )
                .values(ip_hash=None, user_agent=None)
                .execution_options(synchronize_session=False)
            ).rowcount
            db.session.commit()
        finally:
            db.session.remove()
        log.info("expired ip hashes cleared", extra={"ballots": ballots, "comments": comments})
        return ballots + comments


def enqueue_periodic(name: str, job, interval: int) -> bool:
    """Enqueue ``job`` once per ``interval`` seconds, however many workers ask; False if
    Redis failed."""
    try:
        if redis_client().set(rkey(f"{name}-pending"), 1, nx=True, ex=interval):
            task_queue().enqueue(job, job_id=_job_id(name), result_ttl=0, job_timeout=600)
    except RedisError as exc:
        log.warning("%s not enqueued, Redis unavailable: %s", name, exc)
        return False
    return True


def request_reconcile() -> bool:
    """Enqueue one reconcile pass per RECONCILE_SECONDS; False if Redis failed."""
    return enqueue_periodic("reconcile", reconcile_results, current_app.config["RECONCILE_SECONDS"])


def request_schedule() -> bool:
    """Enqueue one pass opening and closing due polls per SCHEDULE_SECONDS."""
    from .lifecycle import run_schedule

    return enqueue_periodic("schedule", run_schedule, current_app.config["SCHEDULE_SECONDS"])


def request_purge() -> bool:
    """Enqueue the retention purge once a day; False if Redis failed."""
    return enqueue_periodic("purge", purge_expired_ip_hashes, 24 * 3600)
