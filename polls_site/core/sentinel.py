"""Redis behind Sentinel: clients of the current primary, and the watch that resets the
request path's circuit breaker when the Sentinels promote another one.

Every new connection asks the Sentinels for the primary (redis-py's ``master_for``), so a
client follows a failover by itself: connections to the dead primary fail, the next ones
go to the promoted replica. The breaker (core/breaker.py) works as with REDIS_URL, with
one addition (issue 20's decision): while it is open, a thread of this process asks the
Sentinels for the primary every ``WATCH_SECONDS``; once they name another one the breaker
closes at once instead of waiting out its cool-down, since the failures it counted were
the old primary's.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Mapping
from typing import Any

from redis import Redis
from redis.backoff import ExponentialBackoff
from redis.exceptions import RedisError
from redis.retry import Retry
from redis.sentinel import MasterNotFoundError, Sentinel, SentinelManagedConnection

from .breaker import BreakerMixin, BreakerOpen, CircuitBreaker

log = logging.getLogger(__name__)

# How often an open breaker's watch asks the Sentinels for the primary.
WATCH_SECONDS = 0.2


class PrimaryWatch:
    """While ``breaker`` is open, poll ``pool.get_master_address()``; reset the breaker
    when the address differs from the one known when the watch started."""

    def __init__(self, breaker: CircuitBreaker, pool: Any, interval: float = WATCH_SECONDS) -> None:
        self.breaker = breaker
        self.pool = pool
        self.interval = interval
        self._running = False
        self._lock = threading.Lock()

    def ensure_running(self) -> None:
        """Start the watch unless it runs (cheap: called on every refused connection)."""
        if self._running:
            return
        with self._lock:
            if self._running:
                return
            self._running = True
        # Started where the breaker opened, so it exists in each forked web process.
        threading.Thread(target=self._run, name="redis-primary-watch", daemon=True).start()

    def _run(self) -> None:
        try:
            known = self.pool.master_address
            while self.breaker.is_open():
                time.sleep(self.interval)
                try:
                    address = self.pool.get_master_address()
                except RedisError:
                    continue  # no primary yet (failover under way) or Sentinels unreachable
                if known is None:
                    known = address
                elif address != known:
                    self.breaker.reset(f"the Sentinels moved the primary from {known} to {address}")
                    return
        finally:
            self._running = False


class FollowingConnection(SentinelManagedConnection):
    """A connection to the primary that asks the Sentinels again whenever it reconnects."""

    def send_packed_command(self, *args, **kwargs):
        # redis-py reconnects a dropped connection here without asking the Sentinels
        # (it would dial the dead primary again): ask them first.
        if not self._sock:
            self.connect()
        return super().send_packed_command(*args, **kwargs)


class _SentinelBreakerMixin(BreakerMixin):
    """BreakerMixin for connections that ask the Sentinels where the primary is."""

    watch: PrimaryWatch

    def connect(self):
        # Before asking the Sentinels: an open breaker must cost nothing.
        if self._sock:
            return None
        if self.breaker.is_open():
            self.watch.ensure_running()
            raise BreakerOpen("Redis skipped: circuit breaker open")
        try:
            return super().connect()
        except MasterNotFoundError as exc:
            self.breaker.failed(exc)
            raise
        finally:
            if self.breaker.is_open():
                self.watch.ensure_running()


def _sentinel(config: Mapping[str, Any], **connection: Any) -> Sentinel:
    timeout = config["REDIS_SENTINEL_TIMEOUT"]
    sentinel_kwargs = {"socket_connect_timeout": timeout, "socket_timeout": timeout}
    if config["REDIS_SENTINEL_PASSWORD"]:
        sentinel_kwargs["password"] = config["REDIS_SENTINEL_PASSWORD"]
    if config["REDIS_PASSWORD"]:
        connection["password"] = config["REDIS_PASSWORD"]
    return Sentinel(config["REDIS_SENTINELS"], sentinel_kwargs=sentinel_kwargs, **connection)


def sentinel_request_redis(config: Mapping[str, Any], breaker: CircuitBreaker) -> Redis:
    """The request path's client of the primary: the timeouts and retry of
    core.redis.request_redis, the breaker, and the watch that resets it on a failover."""
    connection_class = type(
        "BreakerSentinelManagedConnection",
        (_SentinelBreakerMixin, FollowingConnection),
        {"breaker": breaker},
    )
    client = _sentinel(config).master_for(
        config["REDIS_SENTINEL_MASTER"],
        socket_connect_timeout=0.25,
        socket_timeout=0.5,
        retry=Retry(ExponentialBackoff(cap=0.1, base=0.01), 1),
        health_check_interval=30,
        connection_class=connection_class,
    )
    connection_class.watch = PrimaryWatch(breaker, client.connection_pool)
    return client


def sentinel_worker_redis(config: Mapping[str, Any], **options: Any) -> Redis:
    """The worker's client of the primary, with redis-py's patient defaults (it may wait)
    or ``options``."""
    return _sentinel(config).master_for(
        config["REDIS_SENTINEL_MASTER"], connection_class=FollowingConnection, **options
    )
