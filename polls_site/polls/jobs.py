"""RQ jobs that keep poll results current: a coalesced recount per poll, and the reconcile pass.

Jobs take ids, are idempotent and run inside the app context that worker.py pushes.
"""

from __future__ import annotations

import logging
import time
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from redis.exceptions import RedisError

from ..core.db import db
from ..core.jobs import job_fields, job_options, task_queue, unique_job_id
from ..core.metrics import timed_job
from ..core.redis import lua_script, redis_client, rkey, server_epoch
from ..models import Ballot, Poll, PollStatus, ResultSnapshot, utcnow
from . import limits
from .recount import compute_snapshot, stale_poll_ids
from .versions import publish_version

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
        options = job_options(unique_job_id(f"recompute-{poll_id}"), timeout=120)
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


def rebuild_dedupe_keys(batch: int = 5000) -> int:
    """Mark the voters of open polls as having voted again, once after Redis lost its data.

    The marker holds the server's epoch (core.redis.server_epoch): a promoted replica has
    the marker too, replicated, but may lack the last dedupe keys, and its epoch is new.
    Returns how many keys were written (0 when Redis still has them).
    """
    client = redis_client()
    marker = rkey("dedupe-rebuilt")
    # Read first: should the primary change during the rebuild, the next pass redoes it.
    epoch = server_epoch(client)
    if client.get(marker) == epoch.encode():
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
        ttl = limits.dedupe_ttl(closes_at, now)
        pipe.set(limits.dedupe_key(poll_id, voter_key), 1, nx=True, ex=ttl)
        written += 1
        if written % batch == 0:
            pipe.execute()
    pipe.execute()
    client.set(marker, epoch)
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
