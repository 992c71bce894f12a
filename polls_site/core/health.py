"""Health endpoints for load balancers: /healthz (alive) and /readyz (can serve).

Ready means the database answers. Redis is reported but not required: without it the app
serves from SQL (limits and caches degrade, no vote is lost), so a balancer that dropped
every node whose Redis check failed would take the whole site down for a shared outage.
"""

from __future__ import annotations

import time

import sqlalchemy as sa
from flask import Blueprint, Response, current_app, jsonify
from redis.exceptions import RedisError
from sqlalchemy.exc import SQLAlchemyError

from .db import db
from .metrics import internals_allowed, oldest_job_age
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


def _queues() -> dict:
    redis_client().ping()
    queues = {}
    for kind, queue in current_app.extensions["polls_queues"].items():
        age = oldest_job_age(queue)
        queues[kind] = {
            "depth": queue.count,
            "oldest_job_age_s": None if age is None else round(age, 1),
        }
    return {"queues": queues}


@bp.get("/readyz")
def readyz() -> tuple[Response, int]:
    """200 while the database answers ("degraded" when Redis does not); 503 without it."""
    checks = {"database": _timed(_database), "redis": _timed(_queues)}
    ready = checks["database"]["ok"]
    status = "unavailable" if not ready else "ready" if checks["redis"]["ok"] else "degraded"
    if not internals_allowed():
        # Strangers learn whether each part answers, not the queue's depth or timings.
        checks = {name: {"ok": check["ok"]} for name, check in checks.items()}
    response = jsonify(status=status, checks=checks)
    response.headers["Cache-Control"] = "no-store"
    return response, 200 if ready else 503
