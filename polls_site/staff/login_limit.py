"""Failed staff logins counted in Redis, per client IP and per username."""

from __future__ import annotations

import logging

from flask import current_app
from redis.exceptions import RedisError

from ..config import parse_limit
from ..core.redis import lua_script, redis_client, rkey

log = logging.getLogger(__name__)

_COUNT_FAILURE = """
for i, key in ipairs(KEYS) do
  if redis.call('INCR', key) == 1 then redis.call('EXPIRE', key, ARGV[i]) end
end
return 1
"""


def _keys(ip_hash: str, username: str) -> list[str]:
    return [rkey("rl", "login", "ip", ip_hash), rkey("rl", "login", "user", username)]


def _limits() -> list[tuple[int, int]]:
    config = current_app.config
    return [
        parse_limit(config["STAFF_LOGIN_LIMIT_IP"]),
        parse_limit(config["STAFF_LOGIN_LIMIT_USER"]),
    ]


def seconds_blocked(ip_hash: str, username: str) -> int:
    """Seconds until this IP and username may try again; 0 when a login may be tried now.

    Without Redis no limit applies (logged): locking every moderator out while Redis
    restarts would do more harm than a short unthrottled window.
    """
    keys = _keys(ip_hash, username)
    try:
        pipe = redis_client().pipeline()
        for key in keys:
            pipe.get(key)
            pipe.ttl(key)
        replies = pipe.execute()
    except RedisError as exc:
        log.warning("staff login limit not checked, Redis unavailable: %s", exc)
        return 0
    wait = 0
    for i, (count, _window) in enumerate(_limits()):
        failures, ttl = replies[2 * i], replies[2 * i + 1]
        if failures is not None and int(failures) >= count:
            wait = max(wait, int(ttl), 1)
    return wait


def count_failure(ip_hash: str, username: str) -> None:
    """Count one failed login against the IP and the username."""
    windows = [window for _count, window in _limits()]
    try:
        lua_script(_COUNT_FAILURE)(keys=_keys(ip_hash, username), args=windows)
    except RedisError as exc:
        log.warning("failed staff login not counted, Redis unavailable: %s", exc)


def clear_username(username: str) -> None:
    """Forget a username's failures after it logged in (the IP's count stays)."""
    try:
        redis_client().delete(rkey("rl", "login", "user", username))
    except RedisError as exc:
        log.warning("could not clear staff login failures: %s", exc)
