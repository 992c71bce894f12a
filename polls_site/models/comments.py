"""Comment models: threads per article, comments, likes, bans and the auto-moderator's lists."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core.db import db
from .base import UTCDateTime, utcnow

# The longest moderation reason (a decision's, a ban's) and browser string a comment keeps.
REASON_LENGTH = 300
USER_AGENT_LENGTH = 300


class CommentStatus(enum.StrEnum):
    """Where a comment is in its life: readers see only APPROVED ones (authors also their own)."""

    PENDING = "pending"  # written, not yet seen by the auto-moderator
    REVIEW = "review"  # the auto-moderator sent it to a person
    APPROVED = "approved"
    REJECTED = "rejected"
    SPAM = "spam"
    HIDDEN = "hidden"  # was published, hidden by staff
    DELETED = "deleted"  # deleted by its author


class WordKind(enum.StrEnum):
    """The auto-moderator's word lists."""

    BANNED = "banned"
    SUSPECT = "suspect"
    ALLOWED = "allowed"  # exceptions that a banned or suspect pattern must not catch


class Thread(db.Model):
    """The comments under one portal article, keyed by the portal's own article key."""

    __tablename__ = "threads"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(200), unique=True)
    title: Mapped[str] = mapped_column(sa.String(300), default="")
    url: Mapped[str] = mapped_column(sa.String(1000), default="")
    # Every comment waits for a moderator, whatever the auto-moderator says.
    premoderated: Mapped[bool] = mapped_column(default=False)
    # Closed by staff (when); NULL while open. See polls_site/comments/policy.py.
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Reopened by staff after closing: THREAD_AUTO_CLOSE_DAYS no longer applies to it.
    keep_open: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    # One comment per reader per this many minutes; 0: no slow mode.
    slow_mode_minutes: Mapped[int] = mapped_column(default=0, server_default="0")
    # When the first comment was written: THREAD_AUTO_CLOSE_DAYS counts from it.
    first_comment_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Approved comments, kept in step with status changes in the same transaction.
    comment_count: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    comments: Mapped[list[Comment]] = relationship(back_populates="thread")


class Comment(db.Model):
    """A reader's comment. The text is kept as written; `html` is its one safe rendering."""

    __tablename__ = "comments"

    id: Mapped[int] = mapped_column(primary_key=True)
    thread_id: Mapped[int] = mapped_column(sa.ForeignKey("threads.id", ondelete="CASCADE"))
    parent_id: Mapped[int | None] = mapped_column(sa.ForeignKey("comments.id"))
    author_name: Mapped[str] = mapped_column(sa.String(80))
    text: Mapped[str] = mapped_column(sa.Text)
    html: Mapped[str] = mapped_column(sa.Text)
    status: Mapped[str] = mapped_column(sa.String(16), default=CommentStatus.PENDING)
    # Same spelling as Ballot.voter_key: "c:<id>" cookie or "f:<hash>" fingerprint.
    voter_key: Mapped[str] = mapped_column(sa.String(80))
    # Cleared (NULL) by the retention job after RETENTION_DAYS, like user_agent.
    ip_hash: Mapped[str | None] = mapped_column(sa.String(64))
    user_agent: Mapped[str | None] = mapped_column(sa.String(USER_AGENT_LENGTH))
    # The auto-moderator's verdict: total score and [{"rule", "score", "detail", "spans"}]
    # (see polls_site/comments/automod/rules.py; spans are [start, end] offsets into `text`).
    score: Mapped[int] = mapped_column(default=0)
    reasons: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON, default=list)
    likes: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    moderated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    moderated_by: Mapped[int | None] = mapped_column(sa.ForeignKey("staff_users.id"))
    # A moderator's reason for rejecting or hiding, shown in the queue and the audit log.
    decision_reason: Mapped[str | None] = mapped_column(sa.String(REASON_LENGTH))
    # Bumped on every status change: two moderators acting on one comment compare it.
    revision: Mapped[int] = mapped_column(default=0)
    # Written by a staff member as staff (comments/staff_voice.py); NULL for readers. The
    # badge is the one their role gave when they wrote it: a later role change keeps it.
    staff_user_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("staff_users.id", ondelete="SET NULL")
    )
    staff_badge: Mapped[str | None] = mapped_column(sa.String(16))
    # Set by staff on the thread page: pinned comments come first, picks carry a label.
    pinned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    picked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    thread: Mapped[Thread] = relationship(back_populates="comments")
    parent: Mapped[Comment | None] = relationship(remote_side=[id])

    __table_args__ = (
        sa.CheckConstraint(
            "status IN ('pending', 'review', 'approved', 'rejected', 'spam', 'hidden', 'deleted')",
            name="comment_status_known",
        ),
        sa.CheckConstraint(
            "staff_badge IS NULL OR staff_badge IN ('editorial', 'moderator')",
            name="comment_staff_badge_known",
        ),
        sa.Index("ix_comments_thread_status_id", "thread_id", "status", "id"),
        sa.Index("ix_comments_status_id", "status", "id"),
        sa.Index("ix_comments_voter_key", "voter_key"),
        sa.Index("ix_comments_ip_hash", "ip_hash"),
    )
    __mapper_args__ = {"version_id_col": revision}


class CommentLike(db.Model):
    """One reader's like of one comment (the key makes a second like impossible)."""

    __tablename__ = "comment_likes"

    comment_id: Mapped[int] = mapped_column(
        sa.ForeignKey("comments.id", ondelete="CASCADE"), primary_key=True
    )
    voter_key: Mapped[str] = mapped_column(sa.String(80), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


# The longest free text a reader may add to a report.
REPORT_TEXT_LENGTH = 500


class CommentReport(db.Model):
    """One reader's report of one comment (the unique key makes a second one impossible).

    ``network`` is the keyed hash of the reporter's /24 or /64: "independent" reports come
    from at least two networks. ``outcome`` is set when a moderator decides the comment:
    "upheld" (taken down) or "rejected" (kept); it weighs the reporter's later reports.
    """

    __tablename__ = "comment_reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    comment_id: Mapped[int] = mapped_column(sa.ForeignKey("comments.id", ondelete="CASCADE"))
    voter_key: Mapped[str] = mapped_column(sa.String(80))
    network: Mapped[str] = mapped_column(sa.String(64))
    reason: Mapped[str] = mapped_column(sa.String(16))
    text: Mapped[str] = mapped_column(sa.String(REPORT_TEXT_LENGTH), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    outcome: Mapped[str | None] = mapped_column(sa.String(16))

    __table_args__ = (
        sa.UniqueConstraint("comment_id", "voter_key", name="comment_report_once"),
        sa.CheckConstraint(
            "reason IN ('spam', 'abuse', 'hate', 'offtopic', 'other')",
            name="comment_report_reason_known",
        ),
        sa.Index("ix_comment_reports_voter_key", "voter_key"),
        sa.Index("ix_comment_reports_outcome_comment", "outcome", "comment_id"),
    )


class Ban(db.Model):
    """A commenter barred by voter id and/or IP hash until `expires_at` (NULL: for good)."""

    __tablename__ = "bans"

    id: Mapped[int] = mapped_column(primary_key=True)
    voter_key: Mapped[str | None] = mapped_column(sa.String(80), index=True)
    ip_hash: Mapped[str | None] = mapped_column(sa.String(64), index=True)
    reason: Mapped[str] = mapped_column(sa.String(REASON_LENGTH), default="")
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[int | None] = mapped_column(sa.ForeignKey("staff_users.id"))
    lifted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        sa.CheckConstraint(
            "voter_key IS NOT NULL OR ip_hash IS NOT NULL", name="ban_names_someone"
        ),
    )


class ModerationWord(db.Model):
    """A word stem or pattern on one of the auto-moderator's lists."""

    __tablename__ = "moderation_words"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(16))
    pattern: Mapped[str] = mapped_column(sa.String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Added by an admin. A moderator's allowed entry frees words from the suspect list
    # only; an admin's may free banned words too (issue 16: moderators cannot switch the
    # banned list off with exceptions).
    by_admin: Mapped[bool] = mapped_column(default=False, server_default=sa.false())

    __table_args__ = (
        sa.UniqueConstraint("kind", "pattern", name="moderation_word_once"),
        sa.CheckConstraint(
            "kind IN ('banned', 'suspect', 'allowed')", name="moderation_word_kind_known"
        ),
    )


class ModerationSetting(db.Model):
    """One auto-moderator threshold or switch, overriding the default from the defaults file."""

    __tablename__ = "moderation_settings"

    name: Mapped[str] = mapped_column(sa.String(50), primary_key=True)
    value: Mapped[str] = mapped_column(sa.String(200))
