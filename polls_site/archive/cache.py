"""Rendered archive pages ("Все опросы" and each poll's page), shared through Redis.

They change only when a poll changes or the worker publishes a new results
version, and both drop the whole cache (one Redis hash), so entries may live for
ARCHIVE_CACHE_SECONDS. Redis trouble only means rendering again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from flask import current_app
from redis.exceptions import RedisError

from ..core.i18n import explicit_lang
from ..core.redis import redis_client, rkey
from ..core.shared_html import shared_html
from ..polls.versions import polls_changed

log = logging.getLogger(__name__)


def _key() -> str:
    return rkey("archive", "html")


def archive_html(name: str, render: Callable[[], str]) -> str:
    """The cached HTML named ``name`` (in this request's language), or ``render()``'s."""
    field = f"{name}:{explicit_lang() or '-'}"
    return shared_html(_key(), field, render, current_app.config["ARCHIVE_CACHE_SECONDS"])


@polls_changed.connect
def _poll_changed(_poll_id: int, **_extra: object) -> None:
    forget_archive()


def forget_archive() -> None:
    """Drop every cached archive page (a poll or its results changed)."""
    try:
        redis_client().delete(_key())
    except RedisError as exc:
        log.warning("archive cache not dropped (it expires by itself): %s", exc)
