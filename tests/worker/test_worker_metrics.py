"""A worker serves its host's metrics: a host running only workers is scraped too."""

from __future__ import annotations

import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

from polls_site.comments.jobs import enqueue_moderation
from polls_site.models import CommentStatus
from polls_site.polls.jobs import request_recompute
from tests.core.test_metrics import sample
from tests.support.factories import add_ballots, make_comment, option_ids
from tests.support.live import ROOT, free_port, stop_process, worker_env

pytestmark = pytest.mark.live


def scrape(url: str, token: str | None = None) -> tuple[int, str]:
    request = urllib.request.Request(url)
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=5) as reply:
            return reply.status, reply.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, ""


def test_a_worker_exports_its_jobs_the_queues_and_the_breaker(app, poll_id, tmp_path) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}/metrics"
    env = worker_env(app)
    env.update(
        WORKER_METRICS_BIND=f"127.0.0.1:{port}",
        # Loopback is not allowed here: only the token opens the endpoint.
        METRICS_ALLOW="10.9.9.9/32",
        METRICS_TOKEN="scrape-token",
        PROMETHEUS_MULTIPROC_DIR=str(tmp_path),
    )
    comment_id = make_comment(app, "Обычный текст", status=CommentStatus.PENDING)
    add_ballots(app, poll_id, option_ids(app, poll_id)[:1])
    with app.app_context():
        assert enqueue_moderation(comment_id) and request_recompute(poll_id)
    # A moderation worker: the recount waits, and its age is what an alert would watch.
    worker = subprocess.Popen(
        [sys.executable, "worker.py", "--queue", "moderation"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        text = ""
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                status, text = scrape(url, "scrape-token")
            except OSError:
                status = 0  # not listening yet
            if status == 200 and sample(
                text, "polls_job_duration_seconds_count", job="moderate_comment"
            ):
                break
            time.sleep(0.2)
        assert sample(text, "polls_job_duration_seconds_count", job="moderate_comment") == 1
        assert sample(text, "polls_comments_moderated_total", outcome="approved") == 1
        # The recount, and the passes the worker asked for at start (schedule, reconcile).
        assert sample(text, "polls_queue_depth", queue="counts") >= 1
        assert sample(text, "polls_queue_depth", queue="moderation") == 0
        assert sample(text, "polls_queue_oldest_job_age_seconds", queue="counts") > 0
        assert "polls_redis_breaker_open" in text
        assert scrape(url)[0] == 404  # no token, and loopback is not in METRICS_ALLOW
        assert scrape(url, "wrong")[0] == 404
        assert scrape(url.replace("/metrics", "/"), "scrape-token")[0] == 404
    finally:
        stop_process(worker)
