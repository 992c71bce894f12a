"""Portal sections and their current poll: the one rule for what "Наш опрос" shows."""

from __future__ import annotations

import re

import sqlalchemy as sa

from ..core.db import db
from ..models import Poll, PollStatus

# What a portal section's name may be ("main", "sport", "kg-news").
SECTION_PATTERN = r"^[a-z0-9-]{1,40}$"
# The section whose current poll data-poll="current" shows by default (the sidebar).
CURRENT_SECTION = "main"


def valid_section(section: str) -> bool:
    """True for a well-formed portal section name."""
    return re.fullmatch(SECTION_PATTERN, section) is not None


def marked_poll_id(section: str) -> int | None:
    """The id of the poll editors marked as ``section``'s current one (drafts never count)."""
    if not valid_section(section):
        return None
    return db.session.scalar(
        sa.select(Poll.id).where(Poll.current_section == section, Poll.status != PollStatus.DRAFT)
    )


def current_poll_id(section: str = CURRENT_SECTION) -> int | None:
    """The poll a portal section's "Наш опрос" shows: the one editors marked as the
    section's current poll, else the newest open poll, else the newest published one."""
    if not valid_section(section):
        return None
    marked = marked_poll_id(section)
    if marked is not None:
        return marked
    polls = db.session.scalars(
        sa.select(Poll)
        .where(Poll.status != PollStatus.DRAFT)
        .order_by(sa.func.coalesce(Poll.opens_at, Poll.created_at).desc(), Poll.id.desc())
        .limit(50)
    ).all()
    open_polls = [p for p in polls if p.voting_state() == "open"]
    chosen = (open_polls or polls or [None])[0]
    return chosen.id if chosen else None


def mark_current(poll: Poll, section: str) -> Poll | None:
    """Make ``poll`` the current poll of ``section``; returns the poll it replaces, if any.

    The unique constraint on ``current_section`` is what guarantees one current poll
    per section; the previous holder is cleared first, in the same transaction.
    """
    previous = db.session.scalar(
        sa.select(Poll).where(Poll.current_section == section, Poll.id != poll.id)
    )
    if previous is not None:
        previous.current_section = None
        db.session.flush()
    poll.current_section = section
    return previous
