"""RQ plumbing every feature's jobs share: the queues, job ids, retries, periodic enqueues.

Jobs take ids, are idempotent and run inside the app context that worker.py pushes;
what readers must see is stored in SQL, because RQ results expire.

Recounts, moderation and notifications (mail, webhooks) have queues of their own, so
that a burst of long comments (or a slow moderation rule, or a slow SMTP server) can
never delay a vote being counted: ``make run``, the systemd units and the Procfile
start a worker for each. A worker given no queue serves them all, counts first (RQ
takes from the first non-empty queue of its list), so one worker stays enough for a
small site.
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


# Queue kinds, in the order a worker serving several takes from them.
COUNTS = "counts"  # recounts, reconcile passes, poll opening and closing
MODERATION = "moderation"  # auto-moderation, its reconcile pass, the retention purge
NOTIFICATIONS = "notifications"  # mail and webhooks: a slow SMTP server delays nothing else
QUEUES = (COUNTS, MODERATION, NOTIFICATIONS)


def init_jobs(app: Flask) -> None:
    """Create this app's RQ queues on the request-path Redis client (init_redis runs first)."""
    app.extensions["polls_queues"] = {
        kind: Queue(
            queue_name(app, kind),
            connection=app.extensions["polls_redis"],
            serializer=JSONSerializer,
        )
        for kind in QUEUES
    }


def queue_name(app: Flask, kind: str = COUNTS) -> str:
    """The RQ queue name of ``kind``, prefixed so that test runs and sites sharing a Redis
    stay apart. The counts queue keeps the name of the single queue of earlier releases
    (``RQ_QUEUE``), so jobs waiting across an upgrade still run."""
    if kind not in QUEUES:
        raise ValueError(f"unknown queue {kind!r} (known: {', '.join(QUEUES)})")
    name = app.config["REDIS_KEY_PREFIX"] + app.config["RQ_QUEUE"]
    return name if kind == COUNTS else f"{name}-{kind}"


def task_queue(kind: str = COUNTS) -> Queue:
    """The current app's RQ queue of ``kind``."""
    return current_app.extensions["polls_queues"][kind]


def all_queues(app: Flask) -> list[Queue]:
    """Every queue of ``app``, in the order workers take from them."""
    return [app.extensions["polls_queues"][kind] for kind in QUEUES]


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


def enqueue_periodic(name: str, job: Callable[[], Any], interval: int, kind: str = COUNTS) -> bool:
    """Enqueue ``job`` on the ``kind`` queue once per ``interval`` seconds, however many
    workers ask; False if Redis failed."""
    try:
        if redis_client().set(rkey(f"{name}-pending"), 1, nx=True, ex=interval):
            task_queue(kind).enqueue(job, job_id=unique_job_id(name), result_ttl=0, job_timeout=600)
    except RedisError as exc:
        log.warning("%s not enqueued, Redis unavailable: %s", name, exc)
        return False
    return True
