"""The request path's circuit breaker: a black-holed Redis costs one timeout per cool-down,
not several per request, and the app goes back to Redis by itself afterwards."""

from __future__ import annotations

import logging
import socket
import time
from collections.abc import Iterator

import pytest
from flask import Flask
from redis.exceptions import RedisError

from polls_site import create_app
from polls_site.core.breaker import BreakerOpen, CircuitBreaker
from polls_site.core.redis import redis_client, request_redis
from tests.support.app import app_config, empty_tables
from tests.support.factories import make_poll, option_ids
from tests.support.live import free_port
from tests.support.polls import Voting


class Clock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_breaker_opens_for_the_cooldown_and_logs_once(caplog) -> None:
    clock = Clock()
    breaker = CircuitBreaker(2.0, clock=clock)
    assert not breaker.is_open()
    with caplog.at_level(logging.WARNING, logger="polls_site.core.breaker"):
        breaker.failed(OSError("refused"))
        breaker.failed(OSError("refused again"))  # already open: no second line
        assert breaker.is_open()
        clock.now += 1.9
        assert breaker.is_open()
        clock.now += 0.2
        assert not breaker.is_open()  # the probe may go through
        breaker.failed(OSError("still down"))
        assert breaker.is_open() and breaker.trips == 2
        clock.now += 2.5
        breaker.succeeded()
    assert not breaker.is_open()
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 3
    assert lines[0].startswith("Redis unreachable (refused)")
    assert lines[2] == "Redis reachable again after 4.6 s"


@pytest.fixture
def black_hole() -> Iterator[int]:
    """A port whose kernel accepts connections that nobody ever answers."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(64)
        yield server.getsockname()[1]


def _app(database_url: str, redis_url: str, prefix: str, **extra) -> Flask:
    return create_app(app_config(database_url, redis_url, prefix, **extra))


def test_black_holed_redis_costs_one_timeout_per_cooldown(
    database_url, redis_prefix, _schema, black_hole, caplog
) -> None:
    app = _app(
        database_url,
        f"redis://127.0.0.1:{black_hole}/0",
        f"{redis_prefix}-hole:",
        REDIS_BREAKER_SECONDS=30,
    )
    try:
        poll_id = make_poll(app)
        option = option_ids(app, poll_id)[0]
        client = app.test_client()
        with caplog.at_level(logging.WARNING):
            started = time.perf_counter()
            assert client.get(f"/w/poll/{poll_id}").status_code == 200
            first = time.perf_counter() - started
            started = time.perf_counter()
            for _ in range(10):
                assert client.get(f"/w/poll/{poll_id}").status_code == 200
            assert Voting(app.test_client()).vote(poll_id, option).status_code == 200
            assert client.get(f"/w/poll/{poll_id}/results?v=1", headers={"HX-Request": "true"})
            rest = time.perf_counter() - started
    finally:
        empty_tables(app)
    # The first request waits for one read timeout (0.5 s, one retry); without the
    # breaker each of the ~5 Redis calls of each of the next 12 requests would too.
    assert first < 3.0
    assert rest < 2.0, f"12 requests took {rest:.2f}s with the breaker open"
    opened = [r for r in caplog.records if r.getMessage().startswith("Redis unreachable")]
    assert len(opened) == 1
    assert "vote rate limiting and dedupe DISABLED" in caplog.text


def test_after_the_cooldown_the_app_uses_redis_again(app: Flask, poll_id: int, caplog) -> None:
    clock = Clock()
    with app.app_context():
        breaker = redis_client().breaker
        breaker.clock = clock
        redis_client().connection_pool.disconnect()  # the next command must connect
        breaker.failed(OSError("test"))
    option = option_ids(app, poll_id)[0]
    with caplog.at_level(logging.WARNING):
        # Open: Redis is healthy but skipped, so the vote goes unchecked (loudly).
        assert Voting(app.test_client()).vote(poll_id, option).status_code == 200
        assert "dedupe DISABLED" in caplog.text
        caplog.clear()
        clock.now += 2.5
        assert Voting(app.test_client()).vote(poll_id, option).status_code == 200
    assert "dedupe DISABLED" not in caplog.text
    assert "Redis reachable again after 2.5 s" in caplog.text
    with app.app_context():
        assert not redis_client().breaker.is_open()


def test_an_open_breaker_fails_each_command_at_once_without_retrying(monkeypatch) -> None:
    """No backoff sleeps while open: redis-py retries connection errors, not BreakerOpen."""
    client = request_redis(f"redis://127.0.0.1:{free_port()}/0", breaker_seconds=30)
    with pytest.raises(RedisError):
        client.get("x")  # the failed connect opens the breaker
    assert client.breaker.is_open()
    sleeps: list[float] = []
    monkeypatch.setattr("redis.retry.sleep", sleeps.append)
    for _ in range(20):
        with pytest.raises(BreakerOpen):
            client.get("x")
    assert sleeps == []
    client.close()
