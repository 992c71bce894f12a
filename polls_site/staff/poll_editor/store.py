"""Reading and writing polls for the editor: options with their votes, saving, cloning.

Every change adds its audit rows to the same transaction; the caller commits and
then calls ``lifecycle.poll_changed`` so caches drop and the worker recounts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from ...core.db import db
from ...models import (
    AuditEntry,
    Ballot,
    BallotChange,
    BallotChoice,
    Option,
    Poll,
    PollStatus,
    ResultSnapshot,
)
from ...polls.analytics import BallotFacts, ChangeFacts
from ...polls.editing import OptionRow, TextChange
from ...polls.exports import BallotRow
from ...polls.lifecycle import results_frozen
from .. import audit

SCALAR_FIELDS = (
    "question",
    "multiple",
    "max_choices",
    "results_visibility",
    "min_sample",
    "allow_vote_change",
    "opens_at",
    "closes_at",
)


@dataclass(frozen=True)
class PollSettings:
    """The poll's own fields as the editor form gives them."""

    question: str
    multiple: bool
    max_choices: int
    results_visibility: str
    min_sample: int
    opens_at: datetime | None
    closes_at: datetime | None
    allow_vote_change: bool = False


@dataclass(frozen=True)
class PollListing:
    """A line of the editor's poll list."""

    poll: Poll
    voters: int


def option_votes(poll_id: int) -> dict[int, int]:
    """Ballots (voided ones too: they are still votes cast) per option of the poll."""
    return dict(
        db.session.execute(
            sa.select(BallotChoice.option_id, sa.func.count())
            .where(BallotChoice.poll_id == poll_id)
            .group_by(BallotChoice.option_id)
        ).all()
    )


def poll_listing() -> list[PollListing]:
    """Every poll, drafts too, newest first, with its counted voters."""
    rows = db.session.execute(
        sa.select(Poll, ResultSnapshot.voters)
        .outerjoin(ResultSnapshot, ResultSnapshot.poll_id == Poll.id)
        .order_by(Poll.id.desc())
    ).all()
    return [PollListing(poll=poll, voters=voters or 0) for poll, voters in rows]


def _value(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def snapshot_of(poll: Poll) -> dict[str, Any]:
    """The poll's fields and options as an audit row stores them."""
    data = {name: _value(getattr(poll, name)) for name in SCALAR_FIELDS}
    data["options"] = [[o.id, o.text, o.hidden] for o in poll.options]
    return data


class PollFrozen(Exception):
    """A change to a poll whose published outcome is frozen (closed): nothing is written."""

    def __init__(self) -> None:
        super().__init__(
            _(
                "This poll is closed: its question, options and settings stay as readers "
                "saw them. Nothing is saved. Only an admin can reopen the poll to change it."
            )
        )

    @property
    def message(self) -> str:
        """The refusal as the editor reads it."""
        return str(self.args[0])


def ensure_editable(poll: Poll, now: datetime | None = None) -> None:
    """Raise ``PollFrozen`` when ``poll`` is stored and its outcome frozen."""
    if poll.id is not None and results_frozen(poll, now):
        raise PollFrozen()


@dataclass(frozen=True)
class EditorClose:
    """An editor's «close now», from its audit row: when, and the closing time before it."""

    closed_at: datetime
    previous_closes_at: datetime | None


def _moment(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def last_editor_close(poll_id: int) -> EditorClose | None:
    """The poll's latest close by a staff member (not the scheduler), if it is its last
    status change; None otherwise."""
    entry = db.session.scalars(
        sa.select(AuditEntry)
        .where(
            AuditEntry.target_type == "poll",
            AuditEntry.target_id == str(poll_id),
            AuditEntry.action.in_(("poll.open", "poll.close", "poll.reopen", "poll.close_undo")),
        )
        .order_by(AuditEntry.id.desc())
        .limit(1)
    ).first()
    if entry is None or entry.action != "poll.close" or entry.staff_id is None:
        return None
    closed_at = _moment((entry.after or {}).get("closes_at"))
    if closed_at is None:
        return None
    return EditorClose(closed_at, _moment((entry.before or {}).get("closes_at")))


def save_poll(
    poll: Poll,
    settings: PollSettings,
    rows: list[OptionRow],
    confirmed_changes: list[TextChange],
) -> None:
    """Write the settings and options to ``poll`` (new or stored) with audit rows.

    The rows have passed ``check_rows``; options missing from them are deleted (they
    had no votes), the others take the rows' order, text and hidden flag. A frozen
    poll raises ``PollFrozen`` before anything is written.
    """
    ensure_editable(poll)
    creating = poll.id is None
    before = None if creating else snapshot_of(poll)
    for name in SCALAR_FIELDS:
        setattr(poll, name, getattr(settings, name))
    existing = {o.id: o for o in poll.options}
    kept = []
    for position, row in enumerate(rows):
        option = existing.get(row.option_id) if row.option_id is not None else None
        if option is None:
            option = Option(text=row.text)
        option.text, option.hidden, option.position = row.text, row.hidden, position
        kept.append(option)
    poll.options = kept  # delete-orphan removes the options left out
    if creating:
        db.session.add(poll)
    db.session.flush()
    for change in confirmed_changes:
        audit.record(
            "option.text",
            "option",
            change.option_id,
            before={"text": change.old},
            after={"text": change.new},
            reason="confirmed: the option already had votes",
        )
    audit.record(
        "poll.create" if creating else "poll.update", "poll", poll.id, before, snapshot_of(poll)
    )


def claim_revision(poll: Poll, seen: int) -> bool:
    """Move ``poll`` to its next revision if it is still at ``seen`` (one atomic UPDATE).

    False when another editor saved it since ``seen``: nothing is written then.
    """
    claimed = db.session.execute(
        sa.update(Poll)
        .where(Poll.id == poll.id, Poll.revision == seen)
        .values(revision=Poll.revision + 1)
        .execution_options(synchronize_session="fetch")
    )
    return claimed.rowcount == 1


def clone_poll(source: Poll, question: str) -> Poll:
    """A new draft with ``source``'s settings and visible options (no dates, no votes)."""
    clone = Poll(
        question=question,
        status=PollStatus.DRAFT,
        multiple=source.multiple,
        max_choices=source.max_choices,
        results_visibility=source.results_visibility,
        min_sample=source.min_sample,
        allow_vote_change=source.allow_vote_change,
    )
    visible = [o for o in source.options if not o.hidden]
    clone.options = [Option(text=o.text, position=i) for i, o in enumerate(visible)]
    db.session.add(clone)
    db.session.flush()
    audit.record("poll.clone", "poll", clone.id, {"from": source.id}, snapshot_of(clone))
    return clone


def ballot_count(poll_id: int) -> int:
    """How many ballots the poll has, voided ones included."""
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(Ballot).where(Ballot.poll_id == poll_id)
    )


def _choices(poll_id: int) -> dict[int, list[int]]:
    chosen: dict[int, list[int]] = {}
    for ballot_id, option_id in db.session.execute(
        sa.select(BallotChoice.ballot_id, BallotChoice.option_id)
        .where(BallotChoice.poll_id == poll_id)
        .order_by(BallotChoice.ballot_id, BallotChoice.option_id)
    ):
        chosen.setdefault(ballot_id, []).append(option_id)
    return chosen


def ballot_facts(poll_id: int) -> list[BallotFacts]:
    """Every ballot of the poll as the analytics read it, oldest first."""
    chosen = _choices(poll_id)
    rows = db.session.execute(
        sa.select(
            Ballot.id,
            Ballot.created_at,
            Ballot.voter_key,
            Ballot.net_hash,
            Ballot.read_seconds,
            Ballot.voided_at,
        )
        .where(Ballot.poll_id == poll_id)
        .order_by(Ballot.created_at, Ballot.id)
    )
    return [
        BallotFacts(i, at, key, net, read, tuple(chosen.get(i, ())), voided is not None)
        for i, at, key, net, read, voided in rows
    ]


def ballot_rows(poll_id: int) -> list[BallotRow]:
    """Every ballot of the poll as the CSV export writes it, by id."""
    chosen = _choices(poll_id)
    rows = db.session.execute(
        sa.select(
            Ballot.id,
            Ballot.created_at,
            Ballot.voter_key,
            Ballot.ip_hash,
            Ballot.net_hash,
            Ballot.read_seconds,
            Ballot.voided_at,
            Ballot.void_reason,
        )
        .where(Ballot.poll_id == poll_id)
        .order_by(Ballot.id)
    )
    return [
        BallotRow(i, at, key, ip, net, read, chosen.get(i, []), voided_at, reason)
        for i, at, key, ip, net, read, voided_at, reason in rows
    ]


def ballot_changes(poll_id: int) -> list[ChangeFacts]:
    """Every vote change in the poll, oldest first: ballot ids and options, no reader."""
    rows = db.session.execute(
        sa.select(
            BallotChange.ballot_id,
            BallotChange.changed_at,
            BallotChange.old_options,
            BallotChange.new_options,
        )
        .where(BallotChange.poll_id == poll_id)
        .order_by(BallotChange.changed_at, BallotChange.id)
    )
    return [ChangeFacts(b, at, tuple(old), tuple(new)) for b, at, old, new in rows]
