"""/metrics: Prometheus text for operators only, summed over processes."""

from __future__ import annotations

import re

from tests.support.app import drain_queue
from tests.support.factories import option_ids
from tests.support.polls import Voting


def sample(text: str, name: str, **labels: str) -> float:
    """The value of one sample in Prometheus text format (0 if absent)."""
    wanted = ",".join(f'{k}="{v}"' for k, v in labels.items())
    pattern = rf"^{re.escape(name)}(\{{[^}}]*\}})? (\S+)$"
    for match in re.finditer(pattern, text, re.MULTILINE):
        if all(part in (match.group(1) or "") for part in wanted.split(",") if part):
            return float(match.group(2))
    return 0.0


def test_votes_requests_queue_and_jobs_are_counted(app, client, poll_id) -> None:
    before = client.get("/metrics").get_data(as_text=True)
    reader = Voting(app.test_client())
    option = option_ids(app, poll_id)[0]
    assert reader.vote(poll_id, option).status_code == 200
    assert reader.vote(poll_id, option).status_code == 409
    text = client.get("/metrics").get_data(as_text=True)
    votes = "polls_votes_total"
    assert sample(text, votes, outcome="accepted") == sample(before, votes, outcome="accepted") + 1
    assert (
        sample(text, votes, outcome="duplicate") == sample(before, votes, outcome="duplicate") + 1
    )
    assert sample(text, "polls_queue_depth", queue="counts") == 1
    assert sample(text, "polls_queue_depth", queue="moderation") == 0
    assert sample(text, "polls_queue_oldest_job_age_seconds", queue="counts") > 0
    requests = "polls_http_requests_total"
    assert sample(text, requests, endpoint="polls.vote", status="409") >= 1
    assert "polls_http_request_duration_seconds_bucket" in text
    drain_queue(app)
    after = client.get("/metrics").get_data(as_text=True)
    jobs = "polls_job_duration_seconds_count"
    assert sample(after, jobs, job="recompute_results") >= 1
    assert sample(after, "polls_queue_depth", queue="counts") == 0
    assert sample(after, "polls_queue_oldest_job_age_seconds", queue="counts") == 0


def test_metrics_are_hidden_from_the_public(app, client) -> None:
    outside = {"REMOTE_ADDR": "203.0.113.5"}
    assert client.get("/metrics", environ_base=outside).status_code == 404
    app.config["METRICS_TOKEN"] = "s3cret"
    bad = client.get("/metrics", environ_base=outside, headers={"Authorization": "Bearer no"})
    assert bad.status_code == 404
    good = client.get("/metrics", environ_base=outside, headers={"Authorization": "Bearer s3cret"})
    assert good.status_code == 200 and "polls_votes_total" in good.get_data(as_text=True)


def test_a_failing_job_is_counted(app, client) -> None:
    import pytest

    from polls_site.core.metrics import timed_job

    before = sample(
        client.get("/metrics").get_data(as_text=True),
        "polls_job_failures_total",
        job="unit_test_job",
    )
    with pytest.raises(RuntimeError), timed_job("unit_test_job"):
        raise RuntimeError("boom")
    text = client.get("/metrics").get_data(as_text=True)
    assert sample(text, "polls_job_failures_total", job="unit_test_job") == before + 1
    assert sample(text, "polls_job_duration_seconds_count", job="unit_test_job") >= 1


def dead_pid() -> int:
    """The id of a process that has exited (and been reaped)."""
    import subprocess
    import sys

    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_starting_gunicorn_keeps_the_samples_of_running_workers(tmp_path, monkeypatch) -> None:
    """Web and worker processes of a host share the directory: only the dead's files go."""
    import os
    import runpy

    from tests.support.live import ROOT

    gone = dead_pid()
    alive = os.getpid()  # stands for an RQ worker running beside the web server
    for name in (f"counter_{alive}.db", f"gauge_livemax_{alive}.db", f"counter_{gone}.db"):
        (tmp_path / name).write_bytes(b"")
    (tmp_path / "notes.txt").write_text("not a sample file")
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/0")  # no embedded Redis
    conf = runpy.run_path(str(ROOT / "deploy" / "gunicorn.conf.py"))
    conf["on_starting"](None)
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        f"counter_{alive}.db",
        f"gauge_livemax_{alive}.db",
        "notes.txt",
    ]


def test_an_open_breaker_is_exported(app_without_redis) -> None:
    client = app_without_redis.test_client()
    before = sample(
        client.get("/metrics").get_data(as_text=True), "polls_redis_breaker_trips_total"
    )
    client.get("/readyz")  # the refused connect trips the breaker
    text = client.get("/metrics").get_data(as_text=True)
    assert sample(text, "polls_redis_breaker_open") == 1
    assert sample(text, "polls_redis_breaker_trips_total") == before + 1


def test_a_breaker_that_closes_again_is_exported_closed() -> None:
    from polls_site.core.breaker import CircuitBreaker
    from polls_site.core.metrics import BREAKER_OPEN, breaker_changed

    now = [0.0]
    breaker = CircuitBreaker(2.0, clock=lambda: now[0], on_change=breaker_changed)
    breaker.failed(OSError("refused"))
    assert BREAKER_OPEN._value.get() == 1
    now[0] = 3.0
    breaker.succeeded()  # the probe after the cool-down went through
    assert BREAKER_OPEN._value.get() == 0
