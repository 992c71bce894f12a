"""Prometheus metrics at /metrics, correct under several gunicorn workers.

prometheus-client's multiprocess mode: every process writes its samples to files
in PROMETHEUS_MULTIPROC_DIR and a scrape adds them up. The directory must be set
before prometheus_client is imported, so this module sets a default under
the instance folder; whoever starts removes only dead processes' files from it
(metrics_files), because the web servers and workers of a host share it.
/metrics answers only the addresses in METRICS_ALLOW (loopback by default) or a
request bearing METRICS_TOKEN; everyone else gets a 404. A worker serves the same
host-wide view on WORKER_METRICS_BIND, so a host that runs only workers is seen too.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
import os
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from ..config import instance_path

os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", str(Path(instance_path()) / "prometheus"))
os.makedirs(os.environ["PROMETHEUS_MULTIPROC_DIR"], exist_ok=True)

from flask import Blueprint, Flask, Response, abort, current_app, g, request  # noqa: E402
from prometheus_client import (  # noqa: E402
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily  # noqa: E402
from redis.exceptions import RedisError  # noqa: E402
from rq import Queue  # noqa: E402

log = logging.getLogger(__name__)

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
BREAKER_OPEN = Gauge(
    "polls_redis_breaker_open",
    "1 while a live process of this host skips Redis (its circuit breaker tripped and no "
    "probe has succeeded since).",
    multiprocess_mode="livemax",
)
BREAKER_TRIPS = Counter(
    "polls_redis_breaker_trips_total", "Times a process's Redis circuit breaker opened."
)

bp = Blueprint("metrics", __name__)


def oldest_job_age(queue: Queue) -> float | None:
    """Seconds the job at the head of ``queue`` has waited; None when the queue is empty."""
    first = queue.get_jobs(0, 1)
    if not first or first[0].enqueued_at is None:
        return None
    enqueued = first[0].enqueued_at
    if enqueued.tzinfo is None:
        enqueued = enqueued.replace(tzinfo=UTC)
    return max(0.0, (datetime.now(UTC) - enqueued).total_seconds())


class _QueueCollector:
    """Each queue's depth and the age of its oldest job, read from Redis at scrape time."""

    def __init__(self, app: Flask) -> None:
        self.app = app

    def collect(self) -> Iterable[GaugeMetricFamily]:
        depth = GaugeMetricFamily(
            "polls_queue_depth", "Jobs waiting in an RQ queue.", labels=["queue"]
        )
        age = GaugeMetricFamily(
            "polls_queue_oldest_job_age_seconds",
            "How long the job at the head of an RQ queue has waited (0 when empty).",
            labels=["queue"],
        )
        try:
            for kind, queue in self.app.extensions["polls_queues"].items():
                depth.add_metric([kind], queue.count)
                age.add_metric([kind], oldest_job_age(queue) or 0.0)
        except RedisError:
            return
        yield depth
        yield age


def host_registry(app: Flask) -> CollectorRegistry:
    """What a scrape of this host returns: every process's samples and the queues."""
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    registry.register(_QueueCollector(app))
    return registry


def client_allowed(config: dict[str, Any], remote_addr: str, authorization: str) -> bool:
    """A client at ``remote_addr`` may read internals: a METRICS_ALLOW address, or the
    METRICS_TOKEN as a bearer token in ``authorization``."""
    token = config["METRICS_TOKEN"]
    if token and hmac.compare_digest(authorization, f"Bearer {token}"):
        return True
    try:
        address = ipaddress.ip_address(remote_addr or "")
    except ValueError:
        return False
    return any(address in network for network in config["METRICS_NETWORKS"])


def internals_allowed() -> bool:
    """This request's client may read operational internals (see ``client_allowed``)."""
    return client_allowed(
        current_app.config, request.remote_addr or "", request.headers.get("Authorization", "")
    )


@bp.get("/metrics")
def metrics() -> Response:
    """Prometheus text format, summed over every process of this host."""
    if not internals_allowed():
        abort(404)
    registry = host_registry(current_app._get_current_object())
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


def breaker_changed(is_open: bool) -> None:
    """The Redis circuit breaker of this process tripped (True) or closed again (False)."""
    BREAKER_OPEN.set(1 if is_open else 0)
    if is_open:
        BREAKER_TRIPS.inc()


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
    client = app.extensions.get("polls_redis")
    if client is not None:
        client.breaker.on_change = breaker_changed

    # The labelled children, looked up once per endpoint and status (labels() takes a
    # lock and builds its key on every call; the set of endpoints is small and fixed).
    counters: dict[tuple[str, int], Any] = {}
    histograms: dict[str, Any] = {}

    @app.after_request
    def observe(response: Response) -> Response:
        endpoint = request.endpoint or "unmatched"
        status = response.status_code
        counter = counters.get((endpoint, status))
        if counter is None:
            counter = counters[endpoint, status] = REQUESTS.labels(endpoint, str(status))
        counter.inc()
        started = g.get("request_started")
        if started is not None:
            histogram = histograms.get(endpoint)
            if histogram is None:
                histogram = histograms[endpoint] = LATENCY.labels(endpoint)
            histogram.observe(time.perf_counter() - started)
        return response


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass  # scrapes every few seconds would drown the worker's log


def parse_bind(bind: str) -> tuple[str, int]:
    """``host:port`` (``[v6]:port`` for IPv6) as a pair; ValueError when malformed."""
    host, sep, port = bind.rpartition(":")
    if not sep or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"expected host:port, not {bind!r}")
    return host.strip("[]") or "127.0.0.1", int(port)


def serve_host_metrics(app: Flask, bind: str) -> WSGIServer | None:
    """Serve /metrics for this host on ``bind`` from a daemon thread (a worker process
    calls it); None when another process of the host already serves that address."""
    host, port = parse_bind(bind)

    def metrics_app(environ: dict[str, Any], start_response) -> list[bytes]:
        allowed = client_allowed(
            app.config, environ.get("REMOTE_ADDR", ""), environ.get("HTTP_AUTHORIZATION", "")
        )
        if environ.get("PATH_INFO") != "/metrics" or not allowed:
            start_response("404 Not Found", [("Content-Type", "text/plain")])
            return [b"not found\n"]
        body = generate_latest(host_registry(app))
        start_response("200 OK", [("Content-Type", CONTENT_TYPE_LATEST)])
        return [body]

    try:
        server = make_server(
            host, port, metrics_app, server_class=_ThreadingServer, handler_class=_QuietHandler
        )
    except OSError as exc:
        # Workers of one host share the samples: the first to bind serves them all.
        log.info("worker metrics not served on %s (%s): another process serves them", bind, exc)
        return None
    threading.Thread(target=server.serve_forever, name="metrics", daemon=True).start()
    log.info("worker metrics on http://%s/metrics", bind)
    return server
