"""Notification models: readers' reply subscriptions and global opt-outs."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ..core.db import db
from .base import UTCDateTime, utcnow

# RFC 5321's longest path: a longer address cannot be delivered anyway.
EMAIL_LENGTH = 254


class ReplySubscription(db.Model):
    """A reader's wish to hear of approved replies to one of their comments.

    The address is kept normalised and only here; it is never rendered on a page, in the
    API or in a feed. Mail goes out only once ``confirmed_at`` is set (double opt-in).
    """

    __tablename__ = "reply_subscriptions"

    id: Mapped[int] = mapped_column(primary_key=True)
    comment_id: Mapped[int] = mapped_column(
        sa.ForeignKey("comments.id", ondelete="CASCADE"), unique=True
    )
    thread_id: Mapped[int] = mapped_column(sa.ForeignKey("threads.id", ondelete="CASCADE"))
    email: Mapped[str] = mapped_column(sa.String(EMAIL_LENGTH), index=True)
    # The widget's language when the reader subscribed: their messages' language.
    lang: Mapped[str] = mapped_column(sa.String(8), default="ru")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    unsubscribed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class NotificationSetting(db.Model):
    """A moderators' notification setting changed by an admin, overriding the environment."""

    __tablename__ = "notification_settings"

    name: Mapped[str] = mapped_column(sa.String(50), primary_key=True)
    value: Mapped[str] = mapped_column(sa.Text)


class EmailOptOut(db.Model):
    """An address that unsubscribed from everything, kept as a keyed hash only."""

    __tablename__ = "email_optouts"

    email_hash: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
