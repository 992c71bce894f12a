"""The version of a poll's latest snapshot in Redis, which lets an unchanged poll answer 204.

What readers see is stored in SQL (the snapshot); Redis only carries this number.
"""

from __future__ import annotations

import logging

from blinker import Namespace
from redis.exceptions import RedisError

from ..core.redis import lua_script, rkey

log = logging.getLogger(__name__)

# Sent after a poll or its published results changed. Pages built from many polls
# (the archive) listen and drop their cached copies: they sit above this package.
polls_changed = Namespace().signal("polls-changed")

_PUBLISH_VERSION = """
local current = tonumber(redis.call('GET', KEYS[1]) or '-1')
if tonumber(ARGV[1]) > current then
  redis.call('SET', KEYS[1], ARGV[1])
  return 1
end
return 0
"""


def version_key(poll_id: int) -> str:
    """Redis key holding the version of a poll's latest snapshot."""
    return rkey("poll", poll_id, "v")


def publish_version(poll_id: int, version: int) -> None:
    """Tell the request path about a new snapshot version (never moves backwards).

    A version newer than the published one also drops the cached archive pages.
    """
    try:
        newer = lua_script(_PUBLISH_VERSION)(keys=[version_key(poll_id)], args=[version])
    except RedisError as exc:
        log.warning("could not publish version %s of poll %s: %s", version, poll_id, exc)
        return
    if newer:
        polls_changed.send(poll_id)
