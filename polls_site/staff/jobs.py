"""The operators' view of the RQ queues: depth, failed jobs with their error, retry."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from flask import Response, abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from redis.exceptions import RedisError
from rq import Queue
from rq.exceptions import InvalidJobOperation, NoSuchJobError
from rq.job import Job
from rq.serializers import JSONSerializer

from ..core.db import db
from ..core.redis import redis_client
from ..models import Role
from . import audit
from .auth import staff_required
from .blueprint import bp

log = logging.getLogger(__name__)

FAILED_SHOWN = 25


@dataclass
class FailedJob:
    """A failed job as the page shows it."""

    id: str
    func: str
    ended_at: datetime | None
    error: str


@dataclass
class QueueState:
    """One queue's depth and registries."""

    name: str
    waiting: int
    started: int
    scheduled: int
    deferred: int
    failed_count: int
    failed: list[FailedJob] = field(default_factory=list)


def _our_queues() -> list[Queue]:
    prefix = current_app.config["REDIS_KEY_PREFIX"]
    queues = Queue.all(connection=redis_client(), serializer=JSONSerializer)
    return sorted((q for q in queues if q.name.startswith(prefix)), key=lambda q: q.name)


def _error_of(job: Job) -> str:
    result = job.latest_result()
    return (result.exc_string or "") if result is not None else ""


def queue_states() -> list[QueueState]:
    """Every queue of this site with its counts and its newest failed jobs."""
    states = []
    for queue in _our_queues():
        failed_registry = queue.failed_job_registry
        failed_ids = failed_registry.get_job_ids(0, FAILED_SHOWN - 1, desc=True)
        jobs = Job.fetch_many(failed_ids, connection=queue.connection, serializer=JSONSerializer)
        states.append(
            QueueState(
                name=queue.name,
                waiting=queue.count,
                started=queue.started_job_registry.count,
                scheduled=queue.scheduled_job_registry.count,
                deferred=queue.deferred_job_registry.count,
                failed_count=failed_registry.count,
                failed=[
                    FailedJob(job.id, job.func_name or "?", job.ended_at, _error_of(job))
                    for job in jobs
                    if job is not None
                ],
            )
        )
    return states


@bp.get("/jobs")
@staff_required(Role.ADMIN)
def jobs() -> Response:
    """Queues, their depth, and failed jobs with their error and a retry button."""
    try:
        states, error = queue_states(), None
    except RedisError as exc:
        log.warning("queue page: Redis unavailable: %s", exc)
        states, error = [], _("Redis is unavailable: the queues cannot be read right now.")
    body = render_template("staff/jobs.html", states=states, error=error)
    return Response(body, status=503 if error else 200)


@bp.post("/jobs/<queue_name>/<job_id>/retry")
@staff_required(Role.ADMIN)
def retry_job(queue_name: str, job_id: str) -> Response:
    """Put a failed job back on its queue."""
    queue = next((q for q in _our_queues() if q.name == queue_name), None)
    if queue is None:
        abort(404)
    try:
        queue.failed_job_registry.requeue(job_id)
    except (NoSuchJobError, InvalidJobOperation):
        flash(_("That job is no longer among the failed ones."), "error")
        return redirect(url_for("staff.jobs"), code=303)
    audit.record("job.retry", "job", job_id, after={"queue": queue_name})
    db.session.commit()
    flash(_("Job %(id)s is queued again.", id=job_id), "success")
    return redirect(url_for("staff.jobs"), code=303)
