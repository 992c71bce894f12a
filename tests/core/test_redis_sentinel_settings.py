"""Redis through Sentinel: the settings are checked at start-up, and an open breaker is
reset as soon as the Sentinels name another primary (the failover itself runs in
tests/faults/test_redis_sentinel.py)."""

from __future__ import annotations

import logging
import threading

import pytest
from redis.sentinel import MasterNotFoundError, SentinelConnectionPool

from polls_site import create_app
from polls_site.config import finish, load_settings, parse_sentinels
from polls_site.core.breaker import CircuitBreaker
from polls_site.core.sentinel import PrimaryWatch
from tests.support.faults import wait_for
from tests.support.live import free_port

SENTINEL_ENV = {"REDIS_SENTINELS": "10.0.0.1:26379, 10.0.0.2:26379", "REDIS_SENTINEL_MASTER": "m"}


def test_sentinels_parse_as_host_port_pairs() -> None:
    assert parse_sentinels("10.0.0.1:26379, sentinel-b:26380,[::1]:26381,") == [
        ("10.0.0.1", 26379),
        ("sentinel-b", 26380),
        ("::1", 26381),
    ]
    assert parse_sentinels("") == []
    assert parse_sentinels([("h", 1)]) == [("h", 1)]


@pytest.mark.parametrize("bad", ["10.0.0.1", "10.0.0.1:", ":26379", "h:port", "h:0", "h:65536"])
def test_a_malformed_sentinel_stops_start_up(tmp_path, bad) -> None:
    config = load_settings(str(tmp_path), {**SENTINEL_ENV, "REDIS_SENTINELS": f"h:1,{bad}"})
    with pytest.raises(ValueError, match="REDIS_SENTINELS: .* is not of the form host:port"):
        finish(config)


@pytest.mark.parametrize(
    "env, message",
    [
        ({"REDIS_SENTINELS": "h:26379"}, "REDIS_SENTINEL_MASTER must name the primary"),
        ({"REDIS_SENTINEL_MASTER": "m"}, "REDIS_SENTINELS must list the Sentinels"),
        ({**SENTINEL_ENV, "REDIS_URL": "redis://h/0"}, "REDIS_URL or REDIS_SENTINELS, not both"),
        ({"REDIS_PASSWORD": "s3cret"}, "put the password in REDIS_URL"),
        ({**SENTINEL_ENV, "REDIS_SENTINEL_TIMEOUT": "0"}, "REDIS_SENTINEL_TIMEOUT must be"),
    ],
)
def test_incomplete_or_conflicting_sentinel_settings_stop_start_up(tmp_path, env, message) -> None:
    config = load_settings(str(tmp_path), env)
    with pytest.raises(ValueError, match=message):
        finish(config)


def test_production_accepts_sentinels_instead_of_a_redis_url(tmp_path) -> None:
    config = load_settings(str(tmp_path), {**SENTINEL_ENV, "PRODUCTION": "1", "SECRET_KEY": "k"})
    finish(config)
    assert config["REDIS_SENTINELS"] == [("10.0.0.1", 26379), ("10.0.0.2", 26379)]
    assert config["REDIS_SENTINEL_TIMEOUT"] == 0.25


def test_the_app_asks_the_sentinels_instead_of_starting_an_embedded_redis(database_url) -> None:
    sentinels = f"127.0.0.1:{free_port()}"
    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": database_url,
            "REDIS_SENTINELS": sentinels,
            "REDIS_SENTINEL_MASTER": "polls",
            "REDIS_SENTINEL_PASSWORD": "sentinel-secret",
            "REDIS_PASSWORD": "primary-secret",
        }
    )
    assert app.config["REDIS_URL"] is None
    client = app.extensions["polls_redis"]
    pool = client.connection_pool
    assert isinstance(pool, SentinelConnectionPool) and pool.service_name == "polls"
    assert pool.connection_kwargs["password"] == "primary-secret"
    assert pool.connection_kwargs["socket_timeout"] == 0.5  # the request path's timeouts
    sentinel = pool.sentinel_manager.sentinels[0].connection_pool.connection_kwargs
    assert sentinel["password"] == "sentinel-secret" and sentinel["socket_timeout"] == 0.25
    # No Sentinel answers: the breaker opens (the app falls back to the database) and the
    # next command fails at once instead of asking the Sentinels again.
    with pytest.raises(MasterNotFoundError):
        client.get("k")
    assert client.breaker.is_open()


class MovingPrimary:
    """A Sentinel-managed pool whose Sentinels name ``first``, then ``then`` once told to."""

    def __init__(self, first, then) -> None:
        self.master_address = first
        self.then = then
        self.failed_over = threading.Event()
        self.asked = 0

    def get_master_address(self):
        self.asked += 1
        if not self.failed_over.is_set():
            raise MasterNotFoundError("No master found for 'polls'")
        self.master_address = self.then
        return self.then


def test_an_open_breaker_is_reset_when_the_sentinels_name_another_primary(caplog) -> None:
    breaker = CircuitBreaker(600.0)  # without the watch it would stay open ten minutes
    pool = MovingPrimary(("10.0.0.1", 6379), ("10.0.0.2", 6379))
    watch = PrimaryWatch(breaker, pool, interval=0.01)
    breaker.failed(OSError("refused"))
    with caplog.at_level(logging.WARNING, logger="polls_site.core.breaker"):
        watch.ensure_running()
        watch.ensure_running()  # one watch per pool
        wait_for(lambda: pool.asked >= 3, 5, "the watch to ask the Sentinels")
        assert breaker.is_open()  # no primary yet: the failover is under way
        pool.failed_over.set()
        wait_for(lambda: not breaker.is_open(), 5, "the breaker to be reset")
    assert "moved the primary from ('10.0.0.1', 6379) to ('10.0.0.2', 6379)" in caplog.text
    wait_for(lambda: not watch._running, 5, "the watch to end")


def test_the_watch_keeps_the_breaker_open_while_the_primary_stays() -> None:
    breaker = CircuitBreaker(0.3)
    pool = MovingPrimary(("10.0.0.1", 6379), ("10.0.0.1", 6379))
    pool.failed_over.set()
    watch = PrimaryWatch(breaker, pool, interval=0.01)
    breaker.failed(OSError("refused"))
    watch.ensure_running()
    wait_for(lambda: pool.asked >= 3, 5, "the watch to ask the Sentinels")
    assert breaker.is_open() and breaker.opened_at is not None  # only the probe closes it
    wait_for(lambda: not watch._running, 5, "the watch to end with the cool-down")
