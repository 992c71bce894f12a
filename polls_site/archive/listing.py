"""What the archive shows: pages of published polls and each closed poll's method card."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from datetime import datetime

import sqlalchemy as sa

from ..core.db import db
from ..models import Ballot, Poll, PollStatus, ResultSnapshot
from ..polls.cache import PollInfo, load_poll
from ..polls.service import ResultsView, results_view
from ..polls.visibility import results_public


@dataclass(frozen=True)
class ArchiveEntry:
    """One poll in the archive list: the poll and, if public, its results (not live)."""

    poll: PollInfo
    state: str  # open, not_open_yet, closed
    results: ResultsView | None


@dataclass(frozen=True)
class ArchivePage:
    """One page of the archive."""

    entries: list[ArchiveEntry]
    page: int
    pages: int
    total: int


@dataclass(frozen=True)
class MethodCard:
    """How a poll was run, for its page: dates, counts, voided ballots and why."""

    opened_at: datetime | None
    closed_at: datetime | None
    total: int
    voters: int
    voided: list[tuple[str, int]]  # (reason, ballots), most first

    @property
    def voided_total(self) -> int:
        """How many ballots were voided in all."""
        return sum(count for _reason, count in self.voided)


def page_count(total: int, size: int) -> int:
    """How many pages ``total`` items fill, ``size`` a page (at least one page)."""
    return max(1, math.ceil(total / size))


def _published() -> sa.Select:
    return sa.select(Poll.id).where(Poll.status != PollStatus.DRAFT)


def archive_page(page: int, size: int) -> ArchivePage | None:
    """Page ``page`` (from 1) of the published polls, newest first; None past the end."""
    total = db.session.scalar(sa.select(sa.func.count()).select_from(_published().subquery()))
    pages = page_count(total, size)
    if page < 1 or page > pages:
        return None
    ids = db.session.scalars(
        _published()
        .order_by(sa.func.coalesce(Poll.opens_at, Poll.created_at).desc(), Poll.id.desc())
        .limit(size)
        .offset((page - 1) * size)
    ).all()
    entries = []
    for poll_id in ids:
        poll = load_poll(poll_id)
        if poll is None:
            continue
        results = None
        if results_public(poll):
            # A snapshot: the list does not poll; the poll's own page is live.
            results = replace(results_view(poll), live=False)
        entries.append(ArchiveEntry(poll=poll, state=poll.voting_state(), results=results))
    return ArchivePage(entries=entries, page=page, pages=pages, total=total)


def method_card(poll: PollInfo) -> MethodCard:
    """The method card of ``poll`` from its snapshot and its voided ballots."""
    snapshot = db.session.get(ResultSnapshot, poll.id)
    voided = db.session.execute(
        sa.select(Ballot.void_reason, sa.func.count())
        .where(Ballot.poll_id == poll.id, Ballot.voided_at.is_not(None))
        .group_by(Ballot.void_reason)
        .order_by(sa.func.count().desc(), Ballot.void_reason)
    ).all()
    return MethodCard(
        opened_at=poll.opens_at,
        closed_at=poll.closes_at,
        total=snapshot.total if snapshot else 0,
        voters=snapshot.voters if snapshot else 0,
        voided=[(reason or "", count) for reason, count in voided],
    )
