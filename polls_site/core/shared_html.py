"""Rendered HTML shared by every reader through one Redis hash per page, for a few seconds."""

from __future__ import annotations

import logging
from collections.abc import Callable

from redis.exceptions import RedisError

from .redis import redis_client

log = logging.getLogger(__name__)


def shared_html(key: str, field: str, render: Callable[[], str], seconds: int) -> str:
    """``render()``'s HTML through the Redis hash ``key``: read ``field``, or render and
    store it. The hash expires ``seconds`` after its first field, so every variant in it
    goes together; Redis trouble only means rendering again."""
    client = redis_client()
    try:
        html = client.hget(key, field)
    except RedisError:
        return render()
    if html is not None:
        return html.decode()
    html_text = render()
    try:
        pipe = client.pipeline(transaction=False)
        pipe.hset(key, field, html_text)
        pipe.ttl(key)
        _, ttl = pipe.execute()
        if ttl < 0:  # a new hash: every variant in it expires together
            client.expire(key, seconds)
    except RedisError as exc:
        log.warning("rendered HTML not cached: %s", exc)
    return html_text
