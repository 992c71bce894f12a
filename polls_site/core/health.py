"""Health endpoints for load balancers: /healthz (alive) and /readyz (can serve).

Ready means the database answers. Redis is reported but not required: without it the app
serves from SQL (limits and caches degrade, no vote is lost), so a balancer that dropped
every node whose Redis check failed would take the whole site down for a shared outage.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

import sqlalchemy as sa
from flask import Blueprint, Response, jsonify
from redis.exceptions import RedisError
from sqlalchemy.exc import SQLAlchemyError

from .db import db
from .jobs import task_queue
from .metrics import internals_allowed
from .redis import redis_client

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz() -> Response:
    """The process is alive; no I/O."""
    return jsonify(status="ok")


def _timed(check) -> dict:
    started = time.perf_counter()
    try:
        detail = check()
    except (SQLAlchemyError, RedisError, OSError) as exc:
        return {"ok": False, "error": type(exc).__name__}
    result = {"ok": True, "ms": round((time.perf_counter() - started) * 1000, 1)}
    result.update(detail or {})
    return result


def _database() -> None:
    try:
        db.session.execute(sa.text("SELECT 1"))
    finally:
        db.session.remove()


def _queue() -> dict:
    queue = task_queue()
    redis_client().ping()
    depth = queue.count
    oldest_age = None
    first = queue.get_jobs(0, 1)
    if first and first[0].enqueued_at:
        enqueued = first[0].enqueued_at
        if enqueued.tzinfo is None:
            enqueued = enqueued.replace(tzinfo=UTC)
        oldest_age = round((datetime.now(UTC) - enqueued).total_seconds(), 1)
    return {"queue_depth": depth, "oldest_job_age_s": oldest_age}


@bp.get("/readyz")
def readyz() -> tuple[Response, int]:
    """200 while the database answers ("degraded" when Redis does not); 503 without it."""
    checks = {"database": _timed(_database), "redis": _timed(_queue)}
    ready = checks["database"]["ok"]
    status = "unavailable" if not ready else "ready" if checks["redis"]["ok"] else "degraded"
    if not internals_allowed():
        # Strangers learn whether each part answers, not the queue's depth or timings.
        checks = {name: {"ok": check["ok"]} for name, check in checks.items()}
    response = jsonify(status=status, checks=checks)
    response.headers["Cache-Control"] = "no-store"
    return response, 200 if ready else 503
