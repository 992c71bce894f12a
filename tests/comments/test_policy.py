"""The pure rules of thread policy: the auto-close date, first-K trust, slow mode."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from polls_site.comments.policy import (
    MAX_SLOW_MODE_MINUTES,
    auto_close_at,
    is_closed,
    needs_first_review,
    slow_mode_seconds,
)

FIRST = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)


def test_auto_close_date_counts_days_from_the_first_comment() -> None:
    assert auto_close_at(FIRST, 3) == datetime(2026, 12, 4, 10, 0, tzinfo=UTC)
    assert auto_close_at(FIRST, 0) is None  # 0: never
    assert auto_close_at(None, 3) is None  # nobody has written yet


def test_closed_by_date_by_staff_and_reopened_for_good() -> None:
    day_before = FIRST + timedelta(days=3) - timedelta(seconds=1)
    at_date = FIRST + timedelta(days=3)
    assert not is_closed(None, False, FIRST, 3, day_before)
    assert is_closed(None, False, FIRST, 3, at_date)
    assert not is_closed(None, False, FIRST, 0, at_date + timedelta(days=365))
    # Staff closed it: closed whatever the date; staff reopened it: the date no longer applies.
    assert is_closed(FIRST, False, None, 0, FIRST)
    assert not is_closed(None, True, FIRST, 3, at_date + timedelta(days=30))


def test_first_k_trust_grows_with_approved_comments() -> None:
    assert needs_first_review(0, 2)
    assert needs_first_review(1, 2)
    assert not needs_first_review(2, 2)
    assert not needs_first_review(0, 0)  # 0 turns it off


def test_slow_mode_window_in_seconds_within_bounds() -> None:
    assert slow_mode_seconds(0) == 0
    assert slow_mode_seconds(5) == 300
    assert slow_mode_seconds(-3) == 0
    assert slow_mode_seconds(10**6) == MAX_SLOW_MODE_MINUTES * 60
