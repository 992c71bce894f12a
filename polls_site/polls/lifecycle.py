"""A poll's life: draft -> open -> closed, on an editor's word or on schedule.

Closing sets ``closes_at`` to the moment of closing (unless it was earlier): the
recount counts only ballots cast before it, so a closed poll's results are frozen.
The scheduler pass runs in the worker and is idempotent: each transition is a
conditional UPDATE, so two workers (or a worker and an editor) cannot apply it twice.
"""

from __future__ import annotations

import logging
from datetime import datetime

import sqlalchemy as sa

from ..core.db import db
from ..core.metrics import timed_job
from ..models import AuditEntry, Poll, PollStatus, utcnow
from .cache import forget_poll
from .jobs import request_recompute
from .versions import polls_changed

log = logging.getLogger(__name__)

SCHEDULER_NAME = "scheduler"


def open_poll(poll: Poll, now: datetime | None = None) -> None:
    """Open ``poll`` now (a later opening time moves to now)."""
    now = now or utcnow()
    poll.status = PollStatus.OPEN
    if poll.opens_at is None or poll.opens_at > now:
        poll.opens_at = now
    if poll.closes_at is not None and poll.closes_at <= now:
        poll.closes_at = None


def close_poll(poll: Poll, now: datetime | None = None) -> None:
    """Close ``poll`` now; its results count the ballots cast until this moment."""
    now = now or utcnow()
    poll.status = PollStatus.CLOSED
    if poll.closes_at is None or poll.closes_at > now:
        poll.closes_at = now


def reopen_poll(poll: Poll, closes_at: datetime | None = None) -> None:
    """Open a closed poll again (admins only), until ``closes_at`` or without an end."""
    poll.status = PollStatus.OPEN
    poll.closes_at = closes_at


def poll_changed(poll_id: int) -> None:
    """After a committed change: drop cached copies and have the worker recount."""
    forget_poll(poll_id)
    polls_changed.send(poll_id)
    request_recompute(poll_id)


def due_transitions(now: datetime) -> list[tuple[int, str, str]]:
    """(poll id, from status, to status) for every poll whose time has come."""
    opening = db.session.scalars(
        sa.select(Poll.id).where(
            Poll.status == PollStatus.DRAFT,
            Poll.opens_at.is_not(None),
            Poll.opens_at <= now,
            sa.or_(Poll.closes_at.is_(None), Poll.closes_at > now),
        )
    )
    closing = db.session.scalars(
        sa.select(Poll.id).where(
            Poll.status == PollStatus.OPEN, Poll.closes_at.is_not(None), Poll.closes_at <= now
        )
    )
    return [(i, PollStatus.DRAFT, PollStatus.OPEN) for i in opening] + [
        (i, PollStatus.OPEN, PollStatus.CLOSED) for i in closing
    ]


def apply_schedule(now: datetime | None = None) -> list[tuple[int, str]]:
    """Open and close the polls that are due; returns [(poll id, new status)].

    A scheduled close keeps the planned ``closes_at``: ballots cast before it count.
    """
    now = now or utcnow()
    applied = []
    try:
        for poll_id, old, new in due_transitions(now):
            done = db.session.execute(
                sa.update(Poll).where(Poll.id == poll_id, Poll.status == old).values(status=new)
            ).rowcount
            if not done:
                continue  # someone else got there first
            db.session.add(
                AuditEntry(
                    staff_id=None,
                    staff_name=SCHEDULER_NAME,
                    action=f"poll.{'open' if new == PollStatus.OPEN else 'close'}",
                    target_type="poll",
                    target_id=str(poll_id),
                    before={"status": str(old)},
                    after={"status": str(new)},
                    reason="scheduled",
                )
            )
            applied.append((poll_id, str(new)))
        db.session.commit()
    finally:
        db.session.remove()
    for poll_id, _status in applied:
        poll_changed(poll_id)
    if applied:
        log.info("scheduled polls changed", extra={"polls": applied})
    return applied


def run_schedule() -> list[tuple[int, str]]:
    """RQ job: apply the opening and closing times that have come."""
    with timed_job("apply_schedule"):
        return apply_schedule()
