"""RQ plumbing every feature's jobs share: the queue, job ids, retries, periodic enqueues.

Jobs take ids, are idempotent and run inside the app context that worker.py pushes;
what readers must see is stored in SQL, because RQ results expire.
"""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Callable
from typing import Any

from flask import Flask, current_app
from redis.exceptions import RedisError
from rq import Queue, Retry, get_current_job
from rq.serializers import JSONSerializer

from .logs import current_request_id
from .redis import redis_client, rkey

log = logging.getLogger(__name__)

# Failed jobs stay this long, so that staff can retry them from /staff/jobs.
FAILURE_TTL = 7 * 24 * 3600


def init_jobs(app: Flask) -> None:
    """Create this app's RQ queue on the request-path Redis client (init_redis runs first)."""
    app.extensions["polls_queue"] = Queue(
        queue_name(app), connection=app.extensions["polls_redis"], serializer=JSONSerializer
    )


def queue_name(app: Flask) -> str:
    """The RQ queue name, prefixed so that test runs and sites sharing a Redis stay apart."""
    return app.config["REDIS_KEY_PREFIX"] + app.config["RQ_QUEUE"]


def task_queue() -> Queue:
    """The current app's RQ queue."""
    return current_app.extensions["polls_queue"]


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


def unique_job_id(name: str) -> str:
    """A site job id that is new for every enqueue (a fixed one would refuse the next job
    while the previous one still runs)."""
    return site_job_id(f"{name}-{secrets.token_hex(4)}")


def job_options(job_id: str, timeout: int) -> dict[str, Any]:
    """How the app's event jobs are enqueued: retried, results dropped, failures kept a week.

    The request id of the request that enqueued the job follows it into the worker's log.
    """
    return {
        "job_id": job_id,
        "retry": Retry(max=3, interval=[1, 5, 15]),
        "result_ttl": 0,
        "failure_ttl": FAILURE_TTL,
        "job_timeout": timeout,
        "meta": {"request_id": current_request_id()},
    }


def enqueue_periodic(name: str, job: Callable[[], Any], interval: int) -> bool:
    """Enqueue ``job`` once per ``interval`` seconds, however many workers ask; False if
    Redis failed."""
    try:
        if redis_client().set(rkey(f"{name}-pending"), 1, nx=True, ex=interval):
            task_queue().enqueue(job, job_id=unique_job_id(name), result_ttl=0, job_timeout=600)
    except RedisError as exc:
        log.warning("%s not enqueued, Redis unavailable: %s", name, exc)
        return False
    return True
