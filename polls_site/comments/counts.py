"""Approved-comment counts for many threads at once, for the portal's list pages.

Each count is cached in Redis under `status.comment_count_key`, which
`status.thread_changed` deletes; a miss is read from `Thread.comment_count`.
"""

from __future__ import annotations

import logging

import sqlalchemy as sa
from redis.exceptions import RedisError

from ..core.db import db
from ..core.redis import redis_client
from ..models import Thread
from .status import comment_count_key, comment_count_keys

log = logging.getLogger(__name__)

MAX_KEYS = 50
# thread_changed drops a count when it changes; the expiry only bounds how long a count
# read just before such a change (and stored just after it) can stay behind.
COUNT_CACHE_SECONDS = 60


def comment_counts(keys: list[str]) -> dict[str, int]:
    """The approved-comment count of each thread key (0 for threads nobody opened yet)."""
    unique = list(dict.fromkeys(keys))
    counts: dict[str, int] = {}
    client = redis_client()
    try:
        cached = client.mget(comment_count_keys(unique))
    except RedisError:
        cached = [None] * len(unique)
    for key, value in zip(unique, cached, strict=True):
        if value is not None:
            counts[key] = int(value)
    missing = [k for k in unique if k not in counts]
    if missing:
        rows = dict(
            db.session.execute(
                sa.select(Thread.key, Thread.comment_count).where(Thread.key.in_(missing))
            ).all()
        )
        fresh = {k: rows.get(k, 0) for k in missing}
        counts.update(fresh)
        try:
            pipe = client.pipeline(transaction=False)
            for key, value in fresh.items():
                pipe.set(comment_count_key(key), value, ex=COUNT_CACHE_SECONDS)
            pipe.execute()
        except RedisError as exc:
            log.warning("comment counts not cached: %s", exc)
    return {k: counts[k] for k in unique}
