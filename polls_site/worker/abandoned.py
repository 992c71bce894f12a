"""Jobs left "started" by a worker that died (kill -9, OOM, a lost host) run again soon.

RQ itself recovers such a job only when its StartedJobRegistry entry expires (the
job's timeout plus 60 s) *and* a worker next runs its maintenance (every 10 minutes),
so a comment could wait a quarter of an hour for its moderation. Each worker.py
therefore keeps a short-lived "alive" key fresh; a started job whose worker has no
such key is requeued by the next worker's ticker. Our jobs are idempotent (a recount
is a pure function of the ballots; moderation acts only on pending comments), so
running one twice is safe; requeueing a job once is ensured by a per-execution lock.
"""

from __future__ import annotations

import logging
import os
import threading

from redis import Redis
from redis.exceptions import RedisError
from rq import Queue
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus
from rq.registry import StartedJobRegistry

log = logging.getLogger(__name__)

ALIVE_SECONDS = 5
_REFRESH_SECONDS = 1.0
_REQUEUE_LOCK_SECONDS = 600


def alive_key(prefix: str, worker_name: str) -> str:
    """The key that says ``worker_name`` is running (it expires ALIVE_SECONDS after death)."""
    return f"{prefix}worker-alive:{worker_name}"


def keep_alive(connection: Redis, prefix: str, worker_name: str, stop: threading.Event) -> None:
    """Refresh this worker's alive key every second until ``stop`` (run it on a thread)."""
    key = alive_key(prefix, worker_name)
    while True:
        try:
            connection.set(key, os.getpid(), ex=ALIVE_SECONDS)
        except RedisError as exc:
            log.warning("worker alive key not refreshed: %s", exc)
        if stop.wait(_REFRESH_SECONDS):
            break
    try:
        connection.delete(key)
    except RedisError:
        pass


def requeue_abandoned(queue: Queue, prefix: str) -> list[str]:
    """Put back on ``queue`` every started job whose worker is no longer alive; their ids."""
    connection = queue.connection
    registry = StartedJobRegistry(queue=queue)
    requeued = []
    for job_id, execution_id in registry.get_job_and_execution_ids(cleanup=False):
        try:
            job = Job.fetch(job_id, connection=connection, serializer=queue.serializer)
        except NoSuchJobError:
            connection.zrem(registry.key, f"{job_id}:{execution_id}")
            continue
        if job.get_status(refresh=False) != JobStatus.STARTED or not job.worker_name:
            continue
        if connection.exists(alive_key(prefix, job.worker_name)):
            continue
        lock = f"{prefix}requeued:{job_id}:{execution_id}"
        if not connection.set(lock, 1, nx=True, ex=_REQUEUE_LOCK_SECONDS):
            continue  # another worker's ticker has just done it
        connection.zrem(registry.key, f"{job_id}:{execution_id}")
        queue.enqueue_job(job)
        requeued.append(job_id)
        log.warning(
            "requeued abandoned job",
            extra={"job_id": job_id, "dead_worker": job.worker_name, "func": job.func_name},
        )
    return requeued
