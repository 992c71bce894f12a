"""Per-thread policy as plain rules: when a thread is closed, who posts without review,
how long slow mode makes a reader wait. No Flask, no database: the callers bring values."""

from __future__ import annotations

from datetime import datetime, timedelta

# The longest slow mode staff may set: a day between two comments of one reader.
MAX_SLOW_MODE_MINUTES = 24 * 60


def auto_close_at(first_comment_at: datetime | None, days: int) -> datetime | None:
    """When a thread whose first comment was at ``first_comment_at`` closes by itself;
    None when it never does (``days`` is 0, or nobody has written yet)."""
    if days <= 0 or first_comment_at is None:
        return None
    return first_comment_at + timedelta(days=days)


def is_closed(
    closed_at: datetime | None,
    keep_open: bool,
    first_comment_at: datetime | None,
    days: int,
    now: datetime,
) -> bool:
    """True when readers may no longer post: staff closed it, or its auto-close date has
    passed and staff have not reopened it since."""
    if closed_at is not None:
        return True
    if keep_open:
        return False
    closes = auto_close_at(first_comment_at, days)
    return closes is not None and now >= closes


def needs_first_review(approved_count: int, first_k: int) -> bool:
    """True while a reader with ``approved_count`` approved comments is still among their
    first ``first_k``: their comment waits for a moderator (0 turns this off)."""
    return approved_count < first_k


def slow_mode_seconds(minutes: int) -> int:
    """The window of slow mode: one comment per reader per ``minutes`` (0: off)."""
    return max(0, min(minutes, MAX_SLOW_MODE_MINUTES)) * 60
