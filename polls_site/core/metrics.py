"""Prometheus metrics at /metrics, correct under several gunicorn workers.

prometheus-client's multiprocess mode: every process writes its samples to files
in PROMETHEUS_MULTIPROC_DIR and a scrape adds them up. The directory must be set
before prometheus_client is imported, so this module sets a default under
the instance folder; deploy/gunicorn.conf.py empties it at start and drops dead workers.
/metrics answers only the addresses in METRICS_ALLOW (loopback by default) or a
request bearing METRICS_TOKEN; everyone else gets a 404.
"""

from __future__ import annotations

import hmac
import ipaddress
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ..config import instance_path

os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", str(Path(instance_path()) / "prometheus"))
os.makedirs(os.environ["PROMETHEUS_MULTIPROC_DIR"], exist_ok=True)

from flask import Blueprint, Flask, Response, abort, current_app, g, request  # noqa: E402
from prometheus_client import (  # noqa: E402
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily  # noqa: E402
from redis.exceptions import RedisError  # noqa: E402

REQUESTS = Counter(
    "polls_http_requests_total", "HTTP requests by endpoint and status.", ["endpoint", "status"]
)
LATENCY = Histogram(
    "polls_http_request_duration_seconds",
    "Time to answer a request, by endpoint.",
    ["endpoint"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
)
VOTES = Counter(
    "polls_votes_total",
    "Vote attempts by outcome: accepted, or the reason they were refused.",
    ["outcome"],
)
COMMENTS_POSTED = Counter(
    "polls_comments_posted_total",
    "Comment posts by outcome: accepted, or the reason they were refused.",
    ["outcome"],
)
COMMENTS_MODERATED = Counter(
    "polls_comments_moderated_total",
    "Comments decided by the auto-moderator, by outcome: approved, review or rejected.",
    ["outcome"],
)
JOB_DURATION = Histogram(
    "polls_job_duration_seconds",
    "Time an RQ job ran, by job.",
    ["job"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10, 60),
)
JOB_FAILURES = Counter("polls_job_failures_total", "RQ jobs that raised, by job.", ["job"])

bp = Blueprint("metrics", __name__)


class _QueueCollector:
    """The queue's depth, read from Redis at scrape time."""

    def __init__(self, app: Flask) -> None:
        self.app = app

    def collect(self):
        gauge = GaugeMetricFamily("polls_queue_depth", "Jobs waiting in the RQ queue.")
        try:
            gauge.add_metric([], self.app.extensions["polls_queue"].count)
        except RedisError:
            return
        yield gauge


def internals_allowed() -> bool:
    """This client may read operational internals: a METRICS_ALLOW address or the token."""
    token = current_app.config["METRICS_TOKEN"]
    given = request.headers.get("Authorization", "")
    if token and hmac.compare_digest(given, f"Bearer {token}"):
        return True
    try:
        address = ipaddress.ip_address(request.remote_addr or "")
    except ValueError:
        return False
    return any(address in network for network in current_app.config["METRICS_NETWORKS"])


@bp.get("/metrics")
def metrics() -> Response:
    """Prometheus text format, summed over every process of this host."""
    if not internals_allowed():
        abort(404)
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    registry.register(_QueueCollector(current_app._get_current_object()))
    return Response(generate_latest(registry), mimetype=CONTENT_TYPE_LATEST)


def count_vote(outcome: str) -> None:
    """Count a vote attempt's outcome."""
    VOTES.labels(outcome).inc()


def count_comment(outcome: str) -> None:
    """Count a comment post's outcome."""
    COMMENTS_POSTED.labels(outcome).inc()


def count_moderation(outcome: str) -> None:
    """Count an auto-moderation decision by the status it gave the comment."""
    COMMENTS_MODERATED.labels(outcome).inc()


@contextmanager
def timed_job(name: str) -> Iterator[None]:
    """Time the job run inside the block, and count it as failed if it raises."""
    started = time.perf_counter()
    try:
        yield
    except BaseException:
        JOB_FAILURES.labels(name).inc()
        raise
    finally:
        JOB_DURATION.labels(name).observe(time.perf_counter() - started)


def init_metrics(app: Flask) -> None:
    """Register /metrics and count every request."""
    app.config["METRICS_NETWORKS"] = [
        ipaddress.ip_network(n.strip(), strict=False)
        for n in app.config["METRICS_ALLOW"].split(",")
        if n.strip()
    ]
    app.register_blueprint(bp)

    @app.after_request
    def observe(response: Response) -> Response:
        endpoint = request.endpoint or "unmatched"
        REQUESTS.labels(endpoint, str(response.status_code)).inc()
        started = g.get("request_started")
        if started is not None:
            LATENCY.labels(endpoint).observe(time.perf_counter() - started)
        return response
