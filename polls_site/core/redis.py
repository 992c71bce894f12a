"""The request-path Redis client every part of the app shares, its keys and its scripts."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask, current_app
from redis import Redis
from redis.backoff import ExponentialBackoff
from redis.exceptions import ResponseError
from redis.retry import Retry

from .breaker import CircuitBreaker, connection_class
from .sentinel import sentinel_request_redis, sentinel_worker_redis


def request_redis(url: str, breaker_seconds: float = 2.0) -> Redis:
    """A client for the request path: it gives up within a second when Redis is down.

    redis-py's defaults retry with backoff for about three seconds, which would hang
    every widget while Redis restarts; a vote must rather go on without Redis. After a
    failed connect or a timeout the process skips Redis for ``breaker_seconds``, so a
    black-holed Redis costs one timeout per cool-down instead of several per request.
    """
    breaker = CircuitBreaker(breaker_seconds)
    client = Redis.from_url(
        url,
        socket_connect_timeout=0.25,
        socket_timeout=0.5,
        retry=Retry(ExponentialBackoff(cap=0.1, base=0.01), 1),
        health_check_interval=30,
        connection_class=connection_class(breaker, url),
    )
    client.breaker = breaker  # type: ignore[attr-defined]
    return client


def init_redis(app: Flask) -> None:
    """Create the request-path Redis client for this app: REDIS_URL's server, or the
    primary the Sentinels of REDIS_SENTINELS name (core/sentinel.py)."""
    if app.config["REDIS_SENTINELS"]:
        breaker = CircuitBreaker(app.config["REDIS_BREAKER_SECONDS"])
        client = sentinel_request_redis(app.config, breaker)
        client.breaker = breaker  # type: ignore[attr-defined]
    else:
        client = request_redis(app.config["REDIS_URL"], app.config["REDIS_BREAKER_SECONDS"])
    app.extensions["polls_redis"] = client


def worker_redis(config: Mapping[str, Any], **options: Any) -> Redis:
    """A client for workers and tools: redis-py's patient defaults (or ``options``), no breaker."""
    if config["REDIS_SENTINELS"]:
        return sentinel_worker_redis(config, **options)
    return Redis.from_url(config["REDIS_URL"], **options)


def redis_client() -> Redis:
    """The current app's request-path Redis client."""
    return current_app.extensions["polls_redis"]


def server_epoch(client: Redis) -> str:
    """The Redis server's replication id: it changes when Sentinel promotes a replica and
    when a server restarts, the two ways Redis may come back without its latest writes
    (replication is asynchronous). "" where INFO is not allowed (some managed Redis)."""
    try:
        return str(client.info("replication").get("master_replid", ""))
    except ResponseError:
        return ""


def rkey(*parts: object) -> str:
    """A Redis key under this app's prefix, e.g. rkey("poll", 7, "v") -> "polls:poll:7:v"."""
    return current_app.config["REDIS_KEY_PREFIX"] + ":".join(str(p) for p in parts)


def lua_script(source: str):
    """A registered Redis script on the current app's client (EVALSHA, EVAL after a restart)."""
    scripts = current_app.extensions.setdefault("polls_scripts", {})
    if source not in scripts:
        scripts[source] = redis_client().register_script(source)
    return scripts[source]
