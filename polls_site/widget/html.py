"""Rendered widget HTML shared by every reader, kept in Redis for a few seconds.

Two fragments are the same for everyone: a poll's vote form as a new reader sees
it, and its results at a given version. Rendering them is most of what a widget
request costs, so each is rendered once per POLL_CACHE_SECONDS and variant.
Redis trouble only means rendering again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from flask import current_app, request
from redis.exceptions import RedisError

from .embed.theme import request_theme
from .extensions import redis_client, rkey
from .i18n import explicit_lang
from .near_cache import near_cache

log = logging.getLogger(__name__)


def page_key(kind: str, poll_id: int) -> str:
    """The Redis hash holding one poll's cached ``kind`` ("form" or "results") variants."""
    return rkey("html", kind, poll_id)


def variant(*parts: object) -> str:
    """A hash field for this request: the parts, the language and theme asked for, the host.

    Each changes the rendered HTML: links carry the language and theme on, <body> shows
    the theme, and the page's oEmbed link names the host it was asked through.
    """
    return ":".join([*map(str, parts), explicit_lang() or "-", request_theme().key, request.host])


def cached_html(key: str, field: str, render: Callable[[], str]) -> str:
    """The cached HTML at ``key``/``field``, or ``render()``'s, stored for the next reader."""
    seconds = current_app.config["POLL_CACHE_SECONDS"]
    return near_cache().get_or_load((key, field), lambda: shared_html(key, field, render, seconds))


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
