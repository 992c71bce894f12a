"""/healthz and /readyz for the load balancer."""

from __future__ import annotations

from tests.support.factories import option_ids
from tests.support.polls import Voting


def test_healthz(client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200 and response.get_json() == {"status": "ok"}


def test_readyz_reports_database_redis_and_queue(app, client, poll_id) -> None:
    Voting(app.test_client()).vote(poll_id, option_ids(app, poll_id)[0])  # one job queued
    response = client.get("/readyz")
    body = response.get_json()
    assert response.status_code == 200 and body["status"] == "ready"
    assert body["checks"]["database"]["ok"] and body["checks"]["redis"]["ok"]
    assert body["checks"]["redis"]["queue_depth"] == 1
    assert body["checks"]["redis"]["oldest_job_age_s"] >= 0


def test_readyz_is_503_when_redis_is_down(app_without_redis) -> None:
    response = app_without_redis.test_client().get("/readyz")
    body = response.get_json()
    assert response.status_code == 503 and body["status"] == "unavailable"
    assert body["checks"]["redis"] == {"ok": False, "error": "ConnectionError"}
    assert body["checks"]["database"]["ok"]
