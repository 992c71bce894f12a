"""Poll models: polls, their options, ballots, vote changes and the results snapshot."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core.db import db
from .base import UTCDateTime, utcnow


class PollStatus(enum.StrEnum):
    """Life cycle of a poll."""

    DRAFT = "draft"
    OPEN = "open"
    CLOSED = "closed"


class ResultsVisibility(enum.StrEnum):
    """Who may see a poll's results, and when."""

    ALWAYS = "always"
    AFTER_VOTE = "after_vote"
    AFTER_CLOSE = "after_close"
    NEVER = "never"


class Poll(db.Model):
    """A question with options; readers vote once each."""

    __tablename__ = "polls"

    id: Mapped[int] = mapped_column(primary_key=True)
    question: Mapped[str] = mapped_column(sa.String(500))
    status: Mapped[str] = mapped_column(sa.String(16), default=PollStatus.DRAFT)
    opens_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    multiple: Mapped[bool] = mapped_column(default=False)
    max_choices: Mapped[int] = mapped_column(default=1)
    results_visibility: Mapped[str] = mapped_column(sa.String(16), default=ResultsVisibility.ALWAYS)
    # Below this many voters the widget says "too few votes" instead of percentages.
    min_sample: Mapped[int] = mapped_column(default=0, server_default="0")
    # The portal section ("main", "sport", ...) that shows this poll as its current one;
    # unique, so a section has at most one current poll (NULLs do not collide).
    current_section: Mapped[str | None] = mapped_column(sa.String(40))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Bumped by every save in the poll editor. The form carries the revision it was
    # opened with, so a save over another editor's newer one is caught, not lost.
    revision: Mapped[int] = mapped_column(default=0, server_default="0")
    # «Разрешить изменить голос»: a reader who voted may replace their choice while the
    # poll is open (still one ballot; every change is kept in ballot_changes).
    allow_vote_change: Mapped[bool] = mapped_column(default=False, server_default=sa.false())

    options: Mapped[list[Option]] = relationship(
        back_populates="poll", order_by="Option.position", cascade="all, delete-orphan"
    )

    __table_args__ = (
        sa.CheckConstraint("status IN ('draft', 'open', 'closed')", name="poll_status_known"),
        sa.CheckConstraint("max_choices >= 1", name="poll_max_choices_positive"),
        sa.CheckConstraint("min_sample >= 0", name="poll_min_sample_not_negative"),
        sa.UniqueConstraint("current_section", name="one_current_poll_per_section"),
        sa.CheckConstraint(
            "results_visibility IN ('always', 'after_vote', 'after_close', 'never')",
            name="poll_results_visibility_known",
        ),
    )

    def voting_state(self, now: datetime | None = None) -> str:
        """Return "open", "not_open_yet" or "closed" (see the module-level voting_state)."""
        return voting_state(self.status, self.opens_at, self.closes_at, now)

    @property
    def choice_limit(self) -> int:
        """How many options one ballot may mark."""
        return self.max_choices if self.multiple else 1


def voting_state(
    status: str, opens_at: datetime | None, closes_at: datetime | None, now: datetime | None = None
) -> str:
    """Return "open", "not_open_yet" or "closed" from a poll's status and opening window."""
    now = now or utcnow()
    if status == PollStatus.CLOSED or (closes_at and now >= closes_at):
        return "closed"
    if status == PollStatus.DRAFT or (opens_at and now < opens_at):
        return "not_open_yet"
    return "open"


class Option(db.Model):
    """One answer of a poll, in the editors' order."""

    __tablename__ = "options"

    id: Mapped[int] = mapped_column(primary_key=True)
    poll_id: Mapped[int] = mapped_column(sa.ForeignKey("polls.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(sa.String(300))
    position: Mapped[int] = mapped_column(default=0)
    # Hidden options are left out of the vote form and of the results (an option
    # with votes cannot be deleted, only hidden).
    hidden: Mapped[bool] = mapped_column(default=False, server_default=sa.false())

    poll: Mapped[Poll] = relationship(back_populates="options")


class Ballot(db.Model):
    """One accepted vote. The unique constraint is the last guard against a second vote."""

    __tablename__ = "ballots"

    id: Mapped[int] = mapped_column(primary_key=True)
    poll_id: Mapped[int] = mapped_column(sa.ForeignKey("polls.id", ondelete="CASCADE"))
    # "c:<id>" for a signed voter cookie, "f:<hash>" for the no-cookie fallback.
    voter_key: Mapped[str] = mapped_column(sa.String(80))
    # Cleared (NULL) by the retention job after RETENTION_DAYS.
    ip_hash: Mapped[str | None] = mapped_column(sa.String(64))
    # A keyed hash of the voter's /24 (IPv4) or /64 (IPv6) network, for spotting bursts
    # from one network; cleared with ip_hash by the retention job.
    net_hash: Mapped[str | None] = mapped_column(sa.String(64))
    # Seconds between the rendering of the vote form and the vote (from the signed
    # token; at least the real reading time, since a form may be shared for a while).
    read_seconds: Mapped[float | None] = mapped_column(sa.Float)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Voided ballots stay (never deleted) but are not counted.
    voided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    void_reason: Mapped[str | None] = mapped_column(sa.String(300))
    # Bumped by every change of the ballot's choices: a change first claims the revision
    # it read (a conditional UPDATE, which also locks the row), so of two changes at
    # once only one replaces the choices and the other is refused, never mixed.
    revision: Mapped[int] = mapped_column(default=0, server_default="0")

    choices: Mapped[list[BallotChoice]] = relationship(
        back_populates="ballot", cascade="all, delete-orphan"
    )

    __table_args__ = (
        sa.UniqueConstraint("poll_id", "voter_key", name="one_ballot_per_voter"),
        sa.Index("ix_ballots_poll_id_id", "poll_id", "id"),
    )


class BallotChoice(db.Model):
    """An option marked on a ballot (one row for single choice, several for multiple)."""

    __tablename__ = "ballot_choices"

    ballot_id: Mapped[int] = mapped_column(
        sa.ForeignKey("ballots.id", ondelete="CASCADE"), primary_key=True
    )
    option_id: Mapped[int] = mapped_column(
        sa.ForeignKey("options.id", ondelete="CASCADE"), primary_key=True
    )
    # Kept here so that the recount is one GROUP BY over one index.
    poll_id: Mapped[int] = mapped_column(sa.ForeignKey("polls.id", ondelete="CASCADE"))

    ballot: Mapped[Ballot] = relationship(back_populates="choices")

    __table_args__ = (sa.Index("ix_ballot_choices_poll_option", "poll_id", "option_id"),)


class BallotChange(db.Model):
    """A reader's change of their vote: the choices replaced and the ones that replaced them.

    Kept for the editors' audit trail and the votes-over-time chart; it names the
    ballot, never the reader.
    """

    __tablename__ = "ballot_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    ballot_id: Mapped[int] = mapped_column(sa.ForeignKey("ballots.id", ondelete="CASCADE"))
    poll_id: Mapped[int] = mapped_column(sa.ForeignKey("polls.id", ondelete="CASCADE"))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Option ids, sorted.
    old_options: Mapped[list[int]] = mapped_column(sa.JSON)
    new_options: Mapped[list[int]] = mapped_column(sa.JSON)

    __table_args__ = (sa.Index("ix_ballot_changes_poll_id_id", "poll_id", "id"),)


class ResultSnapshot(db.Model):
    """The worker's latest count of a poll, as the widget shows it."""

    __tablename__ = "result_snapshots"

    poll_id: Mapped[int] = mapped_column(
        sa.ForeignKey("polls.id", ondelete="CASCADE"), primary_key=True
    )
    # [{"option_id", "votes", "percent"}, ...] in display order.
    rows: Mapped[list[dict[str, int]]] = mapped_column(sa.JSON)
    total: Mapped[int] = mapped_column(default=0)
    voters: Mapped[int] = mapped_column(default=0)
    # The highest ballot id counted; a newer ballot means the snapshot is stale.
    last_ballot_id: Mapped[int] = mapped_column(default=0)
    # The highest ballot change id seen by the count: a newer change means the snapshot
    # is stale too (a change moves votes without adding a ballot).
    last_change_id: Mapped[int] = mapped_column(default=0, server_default="0")
    version: Mapped[int] = mapped_column(default=0)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
