"""Changing a thread's policy and details: one audit row per change, in its transaction,
and the readers' caches told (the thread's version is bumped)."""

from __future__ import annotations

from typing import Any

from ...comments.status import thread_changed
from ...comments.threads import MAX_TITLE_LENGTH, MAX_URL_LENGTH, clean_field
from ...core.db import db
from ...core.near_cache import near_cache
from ...models import Thread, utcnow
from .. import audit


def _snapshot(thread: Thread) -> dict[str, Any]:
    return {
        "closed": thread.closed_at is not None,
        "keep_open": thread.keep_open,
        "premoderated": thread.premoderated,
        "slow_mode_minutes": thread.slow_mode_minutes,
    }


def _commit(thread: Thread, action: str, before: dict[str, Any], after: dict[str, Any]) -> None:
    audit.record(action, "thread", thread.id, before=before, after=after)
    db.session.commit()
    near_cache().forget(("thread", thread.key))
    near_cache().forget(("thread-version", thread.id))
    thread_changed(thread.id, thread.key)


def close_thread(thread: Thread) -> bool:
    """Close the thread to new comments; False (nothing written) if already closed."""
    if thread.closed_at is not None:
        return False
    before = _snapshot(thread)
    thread.closed_at, thread.keep_open = utcnow(), False
    _commit(thread, "thread.close", before, _snapshot(thread))
    return True


def reopen_thread(thread: Thread) -> None:
    """Open the thread again, for good: THREAD_AUTO_CLOSE_DAYS no longer closes it."""
    before = _snapshot(thread)
    thread.closed_at, thread.keep_open = None, True
    _commit(thread, "thread.reopen", before, _snapshot(thread))


def set_policy(thread: Thread, premoderated: bool, slow_mode_minutes: int) -> bool:
    """Set premoderation and slow mode; False (nothing written) when both are unchanged."""
    if (thread.premoderated, thread.slow_mode_minutes) == (premoderated, slow_mode_minutes):
        return False
    before = _snapshot(thread)
    thread.premoderated, thread.slow_mode_minutes = premoderated, slow_mode_minutes
    _commit(thread, "thread.policy", before, _snapshot(thread))
    return True


def set_details(thread: Thread, title: str, url: str) -> bool:
    """Set the title and article URL (cleaned like the portal's); False when unchanged."""
    title, url = clean_field(title, MAX_TITLE_LENGTH), clean_field(url, MAX_URL_LENGTH)
    if (thread.title, thread.url) == (title, url):
        return False
    before = {"title": thread.title, "url": thread.url}
    thread.title, thread.url = title, url
    _commit(thread, "thread.edit", before, {"title": title, "url": url})
    return True
