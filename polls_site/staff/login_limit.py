"""Staff login attempts counted in Redis, per client address and per (username, address).

An attempt is counted before its password is checked, in one atomic script, so parallel
attempts cannot all pass a check made before any of them was counted. A username alone is
never limited: five wrong passwords sent from anywhere would otherwise lock the real user
out; an attacker is held per address and per (username, address) instead.
"""

from __future__ import annotations

import logging

from flask import current_app
from redis.exceptions import RedisError

from ..config import parse_limit
from ..core.redis import lua_script, rkey

log = logging.getLogger(__name__)

# KEYS: the counters; ARGV: count1, window1, count2, window2, ...
# Counts this attempt on every counter, then answers the longest wait of those past their
# count (0: the attempt may go on). A refused attempt is counted too, so hammering on a
# closed door keeps it closed rather than reopening it at the window's end.
_ADMIT = """
local wait = 0
for i, key in ipairs(KEYS) do
  local count = redis.call('INCR', key)
  if count == 1 then redis.call('EXPIRE', key, ARGV[2 * i]) end
  if count > tonumber(ARGV[2 * i - 1]) then
    wait = math.max(wait, redis.call('TTL', key), 1)
  end
end
return wait
"""

# A refund that cannot leave a counter behind without its expiry (DECR of a lapsed key
# would create one at -1 that never expires).
_REFUND = """
if redis.call('GET', KEYS[1]) then redis.call('DECR', KEYS[1]) end
redis.call('DEL', KEYS[2])
return 1
"""


def _keys(ip_hash: str, username: str) -> list[str]:
    return [
        rkey("rl", "login", "ip", ip_hash),
        rkey("rl", "login", "user-ip", username, ip_hash),
    ]


def _limits() -> list[tuple[int, int]]:
    config = current_app.config
    return [
        parse_limit(config["STAFF_LOGIN_LIMIT_IP"]),
        parse_limit(config["STAFF_LOGIN_LIMIT_USER"]),
    ]


def admit(ip_hash: str, username: str) -> int:
    """Count this login attempt; seconds to wait if it is past a limit, else 0.

    Without Redis no limit applies (logged): locking every moderator out while Redis
    restarts would do more harm than a short unthrottled window.
    """
    args: list[int] = []
    for count, window in _limits():
        args += [count, window]
    try:
        return int(lua_script(_ADMIT)(keys=_keys(ip_hash, username), args=args))
    except RedisError as exc:
        log.warning("staff login limit not checked, Redis unavailable: %s", exc)
        return 0


def succeeded(ip_hash: str, username: str) -> None:
    """A right password: its attempt does not count against the address or the pair."""
    try:
        lua_script(_REFUND)(keys=_keys(ip_hash, username))
    except RedisError as exc:
        log.warning("could not clear staff login attempts: %s", exc)
