"""/healthz and /readyz for the load balancer."""

from __future__ import annotations

from polls_site import create_app
from tests.support.app import app_config
from tests.support.factories import option_ids
from tests.support.live import free_port
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
    queues = body["checks"]["redis"]["queues"]
    assert queues["counts"]["depth"] == 1 and queues["counts"]["oldest_job_age_s"] >= 0
    assert queues["moderation"] == {"depth": 0, "oldest_job_age_s": None}


def test_readyz_stays_ready_but_degraded_when_only_redis_is_down(app_without_redis) -> None:
    # The app serves from SQL without Redis: a balancer must not drop every node at once.
    response = app_without_redis.test_client().get("/readyz")
    body = response.get_json()
    assert response.status_code == 200 and body["status"] == "degraded"
    # The refused connect opens the breaker; whether the client's retry then meets the open
    # breaker depends on the redis-py release, so either error may be the one reported.
    assert body["checks"]["redis"]["ok"] is False
    assert body["checks"]["redis"]["error"] in {"ConnectionError", "BreakerOpen"}
    assert body["checks"]["database"]["ok"]


def test_readyz_is_503_when_the_database_is_down(redis_url, redis_prefix) -> None:
    gone = f"postgresql://postgres@127.0.0.1:{free_port()}/gone"
    app = create_app(app_config(gone, redis_url, f"{redis_prefix}-nodb:"))
    response = app.test_client().get("/readyz")
    app.extensions["polls_redis"].close()
    body = response.get_json()
    assert response.status_code == 503 and body["status"] == "unavailable"
    assert not body["checks"]["database"]["ok"]


def test_strangers_see_no_queue_internals(app, client, poll_id) -> None:
    stranger = {"REMOTE_ADDR": "203.0.113.7"}
    body = client.get("/readyz", environ_base=stranger).get_json()
    assert body == {"status": "ready", "checks": {"database": {"ok": True}, "redis": {"ok": True}}}
    assert "queues" in client.get("/readyz").get_json()["checks"]["redis"]  # loopback
