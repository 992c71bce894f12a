"""The request-path Redis client every part of the app shares, its keys and its scripts."""

from __future__ import annotations

from flask import Flask, current_app
from redis import Redis
from redis.backoff import ExponentialBackoff
from redis.retry import Retry

from .breaker import CircuitBreaker, connection_class


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
    """Create the request-path Redis client for this app."""
    app.extensions["polls_redis"] = request_redis(
        app.config["REDIS_URL"], app.config["REDIS_BREAKER_SECONDS"]
    )


def redis_client() -> Redis:
    """The current app's request-path Redis client."""
    return current_app.extensions["polls_redis"]


def rkey(*parts: object) -> str:
    """A Redis key under this app's prefix, e.g. rkey("poll", 7, "v") -> "polls:poll:7:v"."""
    return current_app.config["REDIS_KEY_PREFIX"] + ":".join(str(p) for p in parts)


def lua_script(source: str):
    """A registered Redis script on the current app's client (EVALSHA, EVAL after a restart)."""
    scripts = current_app.extensions.setdefault("polls_scripts", {})
    if source not in scripts:
        scripts[source] = redis_client().register_script(source)
    return scripts[source]
