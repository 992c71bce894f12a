"""A per-process cache whose entries live about a second.

The hottest reads (a poll's published version, its cached copy, its rendered
HTML) would each cost a Redis round trip on every request. Keeping them in the
process for NEAR_CACHE_SECONDS makes a process at most that late to notice a
change, which nothing depends on: results are polled every few seconds anyway,
and votes are checked against the database, not against this cache.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable
from typing import Any

from flask import Flask, current_app

_MISSING = object()


class NearCache:
    """A small dict of values that expire ``ttl`` seconds after they were stored."""

    def __init__(self, ttl: float, max_entries: int = 4096) -> None:
        self.ttl = ttl
        self.max_entries = max_entries
        self._entries: dict[Hashable, tuple[float, Any]] = {}

    def get_or_load(self, key: Hashable, load: Callable[[], Any]) -> Any:
        """The stored value for ``key``, or ``load()``'s (stored unless it is None)."""
        if self.ttl <= 0:
            return load()
        entry = self._entries.get(key, _MISSING)
        now = time.monotonic()
        if entry is not _MISSING and entry[0] > now:
            return entry[1]
        value = load()
        if value is not None:
            if len(self._entries) >= self.max_entries:
                self._entries.clear()
            self._entries[key] = (now + self.ttl, value)
        return value

    def forget(self, key: Hashable) -> None:
        """Drop ``key`` from this process (other processes let it expire)."""
        self._entries.pop(key, None)


def init_near_cache(app: Flask) -> None:
    """Give the app its cache."""
    app.extensions["polls_near_cache"] = NearCache(app.config["NEAR_CACHE_SECONDS"])


def near_cache() -> NearCache:
    """The current app's cache."""
    return current_app.extensions["polls_near_cache"]
