"""Recounting a poll from its ballots into the snapshot readers see, and finding stale ones."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from ..core.db import db
from ..models import (
    Ballot,
    BallotChange,
    BallotChoice,
    Option,
    Poll,
    PollStatus,
    ResultSnapshot,
    utcnow,
)
from .results import build_rows


def counted_ballot(closes_at: datetime | sa.ColumnElement | None) -> sa.ColumnElement[bool]:
    """The SQL condition for a ballot that counts: not voided, and cast before the close.

    A closed poll's results are frozen at its closing time: a ballot stored later
    (by a web process still holding the poll as open) is never counted. ``closes_at``
    is one poll's closing time, or the column ``Poll.closes_at`` for a query over
    many polls (where a poll without one counts every ballot).
    """
    condition = Ballot.voided_at.is_(None)
    if closes_at is None:
        return condition
    before_close = Ballot.created_at < closes_at
    if not isinstance(closes_at, datetime):
        before_close = sa.or_(closes_at.is_(None), before_close)
    return sa.and_(condition, before_close)


def compute_snapshot(poll_id: int) -> ResultSnapshot | None:
    """Recount ``poll_id`` from its ballots and store the snapshot; None if the poll is gone.

    The first statement locks the snapshot row (an UPDATE locks on PostgreSQL and
    takes SQLite's write lock), so two workers recounting one poll take turns and
    the later snapshot is never overwritten by an older count.
    """
    for _attempt in range(3):
        locked = db.session.execute(
            sa.update(ResultSnapshot)
            .where(ResultSnapshot.poll_id == poll_id)
            .values(version=ResultSnapshot.version)
        ).rowcount
        if locked:
            break
        if db.session.get(Poll, poll_id) is None:
            db.session.rollback()
            return None
        db.session.add(ResultSnapshot(poll_id=poll_id, rows=[], version=0))
        try:
            db.session.commit()
        except IntegrityError:
            db.session.rollback()
    else:
        raise RuntimeError(f"could not lock the snapshot of poll {poll_id}")

    closes_at = db.session.scalar(sa.select(Poll.closes_at).where(Poll.id == poll_id))
    # Read before the count: a change committed meanwhile is then either counted or
    # newer than last_change_id, so the snapshot is never taken for fresher than it is.
    last_change_id = db.session.scalar(
        sa.select(sa.func.coalesce(sa.func.max(BallotChange.id), 0)).where(
            BallotChange.poll_id == poll_id
        )
    )
    voters, last_id = db.session.execute(
        sa.select(sa.func.count(Ballot.id), sa.func.coalesce(sa.func.max(Ballot.id), 0)).where(
            Ballot.poll_id == poll_id, counted_ballot(closes_at)
        )
    ).one()
    # Count only ballots up to last_id so that counts and voters agree even if
    # another ballot commits between the two statements.
    counts = dict(
        db.session.execute(
            sa.select(BallotChoice.option_id, sa.func.count())
            .join(Ballot, Ballot.id == BallotChoice.ballot_id)
            .where(
                BallotChoice.poll_id == poll_id,
                BallotChoice.ballot_id <= last_id,
                counted_ballot(closes_at),
            )
            .group_by(BallotChoice.option_id)
        ).all()
    )
    # Hidden options are out of the results: percentages are shares of the votes
    # for the visible options, and the total counts only those votes.
    option_ids = list(
        db.session.scalars(
            sa.select(Option.id)
            .where(Option.poll_id == poll_id, Option.hidden.is_(False))
            .order_by(Option.position, Option.id)
        )
    )
    counts = {option_id: counts.get(option_id, 0) for option_id in option_ids}
    rows = build_rows(option_ids, counts)
    snapshot = db.session.get(ResultSnapshot, poll_id, populate_existing=True)
    changed = (snapshot.rows, snapshot.voters, snapshot.last_ballot_id) != (rows, voters, last_id)
    changed = changed or snapshot.last_change_id != last_change_id
    if changed or snapshot.version == 0:
        snapshot.version += 1
    snapshot.rows = [dict(r) for r in rows]
    snapshot.total = sum(counts.values())
    snapshot.voters = voters
    snapshot.last_ballot_id = last_id
    snapshot.last_change_id = last_change_id
    snapshot.computed_at = utcnow()
    db.session.commit()
    return snapshot


def stale_poll_ids() -> list[int]:
    """Polls whose snapshot is missing or does not match their ballots or vote changes.

    A change moves votes without adding a ballot, so voters and the last ballot id
    alone would miss it: the latest change id is compared too.
    """
    ballots = (
        sa.select(
            Ballot.poll_id,
            sa.func.count(Ballot.id).label("voters"),
            sa.func.max(Ballot.id).label("last_id"),
        )
        .join(Poll, Poll.id == Ballot.poll_id)
        .where(counted_ballot(Poll.closes_at))
        .group_by(Ballot.poll_id)
        .subquery()
    )
    changes = (
        sa.select(BallotChange.poll_id, sa.func.max(BallotChange.id).label("last_change_id"))
        .group_by(BallotChange.poll_id)
        .subquery()
    )
    query = (
        sa.select(Poll.id)
        .outerjoin(ballots, ballots.c.poll_id == Poll.id)
        .outerjoin(changes, changes.c.poll_id == Poll.id)
        .outerjoin(ResultSnapshot, ResultSnapshot.poll_id == Poll.id)
        .where(Poll.status != PollStatus.DRAFT)
        .where(
            sa.or_(
                ResultSnapshot.poll_id.is_(None),
                sa.func.coalesce(ballots.c.voters, 0) != ResultSnapshot.voters,
                sa.func.coalesce(ballots.c.last_id, 0) != ResultSnapshot.last_ballot_id,
                sa.func.coalesce(changes.c.last_change_id, 0) != ResultSnapshot.last_change_id,
            )
        )
        .order_by(Poll.id)
    )
    return list(db.session.scalars(query))
