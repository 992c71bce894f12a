"""A per-process circuit breaker for the request path's Redis connections.

When Redis is unreachable every command of a request would wait for its own connect
or read timeout (a quarter of a second to a second each, several per request). After a
failed connect, or a read/write that timed out, the breaker opens: for a short cool-down
every new connection fails at once, so the app falls back to the database without
waiting. The first connection after the cool-down is the probe: if it succeeds the
breaker closes, if not it stays open for another cool-down.

A connection reset on an established socket (Redis restarted) does not open it: the
client's retry reconnects at once and that reconnect is what decides.

While open, a command fails with ``BreakerOpen``, a RedisError (every caller's fallback
catches those) but not a ConnectionError: redis-py retries connection errors with
backoff, which cost each skipped command ~20 ms instead of ~0.1 ms.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from redis.connection import (
    AbstractConnection,
    Connection,
    SSLConnection,
    UnixDomainSocketConnection,
)
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError

log = logging.getLogger(__name__)


class BreakerOpen(RedisError):
    """Redis is skipped for the cool-down: fail at once, nothing to retry."""


class CircuitBreaker:
    """Open for ``cooldown`` seconds after a failure; ``clock`` is injectable for tests.

    ``on_change(open)`` hears every trip (True, once per cool-down) and the close after
    a successful probe (False): the metrics export the state from it.
    """

    def __init__(
        self,
        cooldown: float,
        clock: Callable[[], float] = time.monotonic,
        on_change: Callable[[bool], None] | None = None,
    ) -> None:
        self.cooldown = cooldown
        self.clock = clock
        self.on_change = on_change
        self.open_until = 0.0
        self.opened_at: float | None = None
        self.trips = 0
        self._lock = threading.Lock()

    def is_open(self) -> bool:
        """True while connections should not even be tried."""
        return self.clock() < self.open_until

    def failed(self, error: Exception) -> None:
        """Open (again) after ``error``; logged once per cool-down."""
        with self._lock:
            now = self.clock()
            if now < self.open_until:
                return
            self.open_until = now + self.cooldown
            self.trips += 1
            first = self.opened_at is None
            if first:
                self.opened_at = now
        if self.on_change is not None:
            self.on_change(True)
        log.warning(
            "Redis unreachable (%s): this process skips Redis for %.1f s "
            "(votes go unlimited, caches are read from the database)",
            error,
            self.cooldown,
            extra={"breaker": "open", "first_failure": first},
        )

    def succeeded(self) -> None:
        """Close after a successful connect, saying how long Redis was missed."""
        if self.opened_at is None:
            return
        down = self._close()
        if down is not None:
            log.warning(
                "Redis reachable again after %.1f s",
                down,
                extra={"breaker": "closed", "down_s": down},
            )

    def _close(self) -> float | None:
        """Close if open; how long it was open (None: it was not)."""
        with self._lock:
            if self.opened_at is None:
                return None
            down = self.clock() - self.opened_at
            self.opened_at = None
            self.open_until = 0.0
        if self.on_change is not None:
            self.on_change(False)
        return down

    def reset(self, reason: str) -> None:
        """Close at once, without a probe: the failures counted were another server's
        (Sentinel promoted a new primary); the next connection goes to the new one."""
        down = self._close()
        if down is None:
            return
        log.warning(
            "%s: the Redis circuit breaker is reset after %.1f s",
            reason,
            down,
            extra={"breaker": "reset", "down_s": down},
        )


class BreakerMixin:
    """Connection methods that consult and feed ``self.breaker`` (core/sentinel.py builds
    on them for a primary found through Sentinel)."""

    breaker: CircuitBreaker

    def connect_check_health(self, *args, **kwargs):
        if self._sock:
            return None
        if self.breaker.is_open():
            raise BreakerOpen("Redis skipped: circuit breaker open")
        try:
            result = super().connect_check_health(*args, **kwargs)
        except (RedisConnectionError, RedisTimeoutError) as exc:
            self.breaker.failed(exc)
            raise
        self.breaker.succeeded()
        return result

    def send_packed_command(self, *args, **kwargs):
        try:
            return super().send_packed_command(*args, **kwargs)
        except RedisTimeoutError as exc:
            self.breaker.failed(exc)
            raise

    def read_response(self, *args, **kwargs):
        try:
            return super().read_response(*args, **kwargs)
        except RedisTimeoutError as exc:
            self.breaker.failed(exc)
            raise


def connection_class(breaker: CircuitBreaker, url: str) -> type[AbstractConnection]:
    """The connection class redis-py would pick for ``url``, bound to ``breaker`` (one
    class per client, so clients of other Redis servers keep breakers of their own)."""
    scheme = url.split(":", 1)[0]
    base = {"unix": UnixDomainSocketConnection, "rediss": SSLConnection}.get(scheme, Connection)
    return type(f"Breaker{base.__name__}", (BreakerMixin, base), {"breaker": breaker})
