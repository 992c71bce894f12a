"""A poll's life: draft -> open -> closed, on an editor's word or on schedule.

Closing sets ``closes_at`` to the moment of closing (unless it was earlier): the
recount counts only ballots cast before it, so a closed poll's results are frozen.
Once voting is over a published poll is frozen (``results_frozen``): its question,
options, their texts and visibility and every setting that shapes the published
outcome are read-only, so the archive and the method card show what voters saw. The
editor who closed it may undo that for ``UNDO_CLOSE_SECONDS``; after that only an
admin can reopen it.
The scheduler pass runs in the worker and is idempotent: each transition is a
conditional UPDATE, so two workers (or a worker and an editor) cannot apply it twice.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

import sqlalchemy as sa

from ..core.db import db
from ..core.metrics import timed_job
from ..models import AuditEntry, Poll, PollStatus, utcnow
from .cache import forget_poll
from .jobs import request_recompute
from .versions import polls_changed

log = logging.getLogger(__name__)

SCHEDULER_NAME = "scheduler"
# How long the editor who pressed «Закрыть сейчас» may take it back.
UNDO_CLOSE_SECONDS = 60


def results_frozen(poll: Poll, now: datetime | None = None) -> bool:
    """Is ``poll``'s published outcome frozen (read-only until an admin reopens it)?

    Every published poll whose voting is over, at once: during the undo window the
    closing editor may reopen it (``can_undo_close``), but not edit it closed, so no
    change ever reaches a result that is already shown as final. Drafts were never
    shown to a reader and stay editable whatever their dates say.
    """
    return poll.status != PollStatus.DRAFT and poll.voting_state(now) == "closed"


def undo_close_until(closed_at: datetime) -> datetime:
    """The moment an editor's «close now» at ``closed_at`` can no longer be undone."""
    return closed_at + timedelta(seconds=UNDO_CLOSE_SECONDS)


def can_undo_close(poll: Poll, closed_at: datetime | None, now: datetime | None = None) -> bool:
    """May the editor's close at ``closed_at`` (None: nobody closed it by hand) be undone?

    Only while it is still that close which holds (``closes_at`` is its moment: a
    scheduled close or an admin's later change is not undone this way) and the window
    has not ended.
    """
    now = now or utcnow()
    return (
        closed_at is not None
        and poll.status == PollStatus.CLOSED
        and poll.closes_at == closed_at
        and now < undo_close_until(closed_at)
    )


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


def undo_close(
    poll: Poll, previous_closes_at: datetime | None, now: datetime | None = None
) -> None:
    """Take back an editor's close: open again, with the closing time it had before
    (dropped if that has passed meanwhile)."""
    now = now or utcnow()
    poll.status = PollStatus.OPEN
    poll.closes_at = previous_closes_at if previous_closes_at and previous_closes_at > now else None


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
