"""Voting and results for the poll widget, kept apart from the HTTP layer."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from flask import abort
from redis.exceptions import RedisError
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from ..core.clients import client_ip, ip_hash, limit_hash, network_hash, network_limit_hash
from ..core.converters import MAX_ID
from ..core.db import db
from ..core.near_cache import near_cache
from ..core.redis import redis_client
from ..models import Ballot, BallotChange, BallotChoice, Poll, PollStatus, ResultSnapshot
from ..widget.voters import Voter
from . import limits
from .ballots import store_ballot
from .cache import PollInfo, load_poll
from .jobs import request_recompute
from .results import ResultRow, add_votes
from .versions import version_key

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ResultLine:
    """One option as the results partial shows it."""

    option_id: int
    text: str
    votes: int
    percent: int


@dataclass(frozen=True)
class ResultsView:
    """Everything the results partial needs, the same for every reader."""

    poll_id: int
    lines: tuple[ResultLine, ...]
    total: int
    voters: int
    version: int
    multiple: bool
    live: bool  # still open: the partial polls for newer versions
    computed_at: datetime | None
    # Fewer voters than the poll's minimum sample: no percentages are shown.
    too_few: bool = False


@dataclass
class VoteOutcome:
    """What happened to a vote the form had already accepted."""

    # "accepted", "changed", "duplicate", "conflict" (a change lost to another at the
    # same moment), "limited", "unavailable"
    kind: str
    retry_after: int = 0
    ballot_id: int = 0
    chosen: list[int] = field(default_factory=list)


def get_public_poll(poll_id: int) -> PollInfo:
    """The poll with its options (cached), or 404 for unknown ids and drafts."""
    if not 0 < poll_id <= MAX_ID:
        abort(404)  # ids past the column's range would fail in the database, not miss
    poll = load_poll(poll_id)
    if poll is None or poll.status == PollStatus.DRAFT:
        abort(404)
    return poll


def own_ballot(poll_id: int, voter: Voter) -> tuple[int, list[int]] | None:
    """(ballot id, chosen option ids) of this voter's ballot in the poll, or None.

    Most readers have not voted: their missing dedupe key answers that from Redis.
    The database is asked when the key exists or Redis cannot say.
    """
    try:
        if not redis_client().exists(limits.dedupe_key(poll_id, voter.key)):
            return None
    except RedisError:
        pass
    rows = db.session.execute(
        sa.select(Ballot.id, BallotChoice.option_id)
        .join(BallotChoice, BallotChoice.ballot_id == Ballot.id)
        .where(Ballot.poll_id == poll_id, Ballot.voter_key == voter.key)
    ).all()
    if not rows:
        return None
    return rows[0][0], [option_id for _, option_id in rows]


@dataclass(frozen=True)
class SnapshotData:
    """The fields of a results snapshot the widget reads, detached from the session."""

    rows: tuple[ResultRow, ...]
    total: int
    voters: int
    last_ballot_id: int
    version: int
    computed_at: datetime | None


def latest_snapshot(poll_id: int) -> SnapshotData | None:
    """The poll's latest snapshot; a web process may reuse it for NEAR_CACHE_SECONDS."""

    def load() -> SnapshotData | None:
        snapshot = db.session.get(ResultSnapshot, poll_id)
        if snapshot is None:
            return None
        return SnapshotData(
            rows=tuple(snapshot.rows),
            total=snapshot.total,
            voters=snapshot.voters,
            last_ballot_id=snapshot.last_ballot_id,
            version=snapshot.version,
            computed_at=snapshot.computed_at,
        )

    return near_cache().get_or_load(("snapshot", poll_id), load)


def results_view(poll: PollInfo, own: tuple[int, list[int]] | None = None) -> ResultsView:
    """The latest snapshot of ``poll``, with the reader's own ballot added if it is newer."""
    snapshot = latest_snapshot(poll.id) or SnapshotData((), 0, 0, 0, 0, None)
    option_ids = [o.id for o in poll.options]
    rows: list[ResultRow] = list(snapshot.rows)
    total, voters = snapshot.total, snapshot.voters
    if own is not None and own[0] > snapshot.last_ballot_id:
        rows = add_votes(option_ids, rows, own[1])
        total += len(own[1])
        voters += 1
    elif not rows:
        rows = add_votes(option_ids, [], [])
    texts = {o.id: o.text for o in poll.options}
    lines = tuple(
        ResultLine(r["option_id"], texts[r["option_id"]], r["votes"], r["percent"])
        for r in rows
        if r["option_id"] in texts
    )
    return ResultsView(
        poll_id=poll.id,
        lines=lines,
        total=total,
        voters=voters,
        version=snapshot.version,
        multiple=poll.multiple,
        live=poll.voting_state() == "open",
        computed_at=snapshot.computed_at,
        too_few=voters < poll.min_sample,
    )


def published_version(poll_id: int) -> str | None:
    """The version of the poll's latest snapshot as Redis knows it (no DB access)."""

    def load() -> str | None:
        try:
            current = redis_client().get(version_key(poll_id))
        except RedisError:
            return None
        return current.decode() if current is not None else None

    return near_cache().get_or_load(("version", poll_id), load)


def cast_vote(
    poll: PollInfo,
    voter: Voter,
    chosen: list[int],
    now: datetime,
    read_seconds: float | None = None,
) -> VoteOutcome:
    """Store one ballot, or say why not. Never leaves half a ballot behind.

    ``read_seconds`` is how long the vote form had been rendered (for the analytics).
    """
    ip = client_ip()
    admission = limits.admit_vote(
        poll.id,
        voter.key,
        limit_hash(ip),
        network_limit_hash(ip),
        limits.dedupe_ttl(poll.closes_at, now),
    )
    if admission.verdict == "limited":
        return VoteOutcome("limited", retry_after=admission.retry_after)
    if admission.verdict == "duplicate":
        # A reader who has voted: for a poll that allows it, this is a change. The
        # address windows above already counted the attempt, so changes are limited too.
        if poll.allow_vote_change:
            return change_vote(poll, voter, chosen, now)
        return VoteOutcome("duplicate")

    # Core statements on a pooled connection, no session: the ORM's unit of work (and
    # its bulk-insert path) cost more than the database did on this, the hottest write.
    try:
        ballot_id = store_ballot(
            poll_id=poll.id,
            voter_key=voter.key,
            ip_hash=ip_hash(ip),
            net_hash=network_hash(ip),
            read_seconds=read_seconds,
            created_at=now,
            options=chosen,
        )
    except IntegrityError:
        # The database constraint caught a second ballot that Redis did not
        # (Redis lost its keys, or was down).
        if poll.allow_vote_change:
            return change_vote(poll, voter, chosen, now)
        return VoteOutcome("duplicate")
    except SQLAlchemyError:
        log.exception("ballot for poll %s not stored", poll.id)
        limits.release_vote(poll.id, voter.key)
        return VoteOutcome("unavailable")
    request_recompute(poll.id)
    return VoteOutcome("accepted", ballot_id=ballot_id, chosen=chosen)


def _changes_allowed(poll_id: int, now: datetime) -> sa.ColumnElement[bool]:
    """SQL: the poll, as stored now, allows changes and is open (the cached copy may be
    seconds old; a change must never reach a poll that closed or stopped allowing them)."""
    return (
        sa.select(Poll.id)
        .where(
            Poll.id == poll_id,
            Poll.allow_vote_change.is_(True),
            Poll.status == PollStatus.OPEN,
            sa.or_(Poll.opens_at.is_(None), Poll.opens_at <= now),
            sa.or_(Poll.closes_at.is_(None), Poll.closes_at > now),
        )
        .exists()
    )


def change_vote(poll: PollInfo, voter: Voter, chosen: list[int], now: datetime) -> VoteOutcome:
    """Replace the choices on ``voter``'s ballot with ``chosen``, keeping the old ones in
    ``ballot_changes``; all in one transaction.

    The ballot stays (one per person). Its revision is claimed first with a conditional
    UPDATE, which locks the row: of two changes at once the later one finds the revision
    moved and gets "conflict", so the choices are one change's, never a mix. A voided
    ballot, or a poll that closed or stopped allowing changes, gives "duplicate".
    """
    try:
        row = db.session.execute(
            sa.select(Ballot.id, Ballot.revision).where(
                Ballot.poll_id == poll.id, Ballot.voter_key == voter.key, Ballot.voided_at.is_(None)
            )
        ).one_or_none()
        if row is None:
            db.session.rollback()
            return VoteOutcome("duplicate")
        ballot_id, seen = row
        old = sorted(
            db.session.scalars(
                sa.select(BallotChoice.option_id).where(BallotChoice.ballot_id == ballot_id)
            )
        )
        claimed = db.session.execute(
            sa.update(Ballot)
            .where(Ballot.id == ballot_id, Ballot.revision == seen, _changes_allowed(poll.id, now))
            .values(revision=Ballot.revision + 1)
        ).rowcount
        if not claimed:
            allowed = db.session.scalar(sa.select(_changes_allowed(poll.id, now)))
            db.session.rollback()
            return VoteOutcome("conflict" if allowed else "duplicate")
        new = sorted(chosen)
        if new == old:
            db.session.rollback()  # nothing to change, nothing to audit
            return VoteOutcome("changed", ballot_id=ballot_id, chosen=new)
        db.session.execute(sa.delete(BallotChoice).where(BallotChoice.ballot_id == ballot_id))
        db.session.execute(
            sa.insert(BallotChoice),
            [{"ballot_id": ballot_id, "option_id": o, "poll_id": poll.id} for o in new],
        )
        db.session.execute(
            sa.insert(BallotChange).values(
                ballot_id=ballot_id,
                poll_id=poll.id,
                changed_at=now,
                old_options=old,
                new_options=new,
            )
        )
        db.session.commit()
    except SQLAlchemyError:
        db.session.rollback()
        log.exception("vote change for poll %s not stored", poll.id)
        return VoteOutcome("unavailable")
    request_recompute(poll.id)
    return VoteOutcome("changed", ballot_id=ballot_id, chosen=new)
