"""Staff models: accounts with roles, and the append-only audit log of their actions."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ..core.db import db
from .base import UTCDateTime, utcnow


class Role(enum.StrEnum):
    """Staff roles; each includes what the ones before it may do."""

    MODERATOR = "moderator"
    EDITOR = "editor"
    ADMIN = "admin"


class StaffUser(db.Model):
    """A moderator, editor or admin who logs in to the staff area."""

    __tablename__ = "staff_users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(sa.String(50), unique=True)
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    role: Mapped[str] = mapped_column(sa.String(16), default=Role.MODERATOR)
    # Shown on the comments they write as staff; NULL: their username.
    display_name: Mapped[str | None] = mapped_column(sa.String(80))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        sa.CheckConstraint("role IN ('moderator', 'editor', 'admin')", name="staff_role_known"),
    )


class AuditEntry(db.Model):
    """One staff action: who, when, what, on what, before -> after, why. Never edited."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    # NULL for actions from the command line; the name is kept as it was at the time.
    staff_id: Mapped[int | None] = mapped_column(sa.ForeignKey("staff_users.id"), index=True)
    staff_name: Mapped[str] = mapped_column(sa.String(50))
    action: Mapped[str] = mapped_column(sa.String(40), index=True)
    target_type: Mapped[str] = mapped_column(sa.String(20))
    target_id: Mapped[str] = mapped_column(sa.String(80))
    before: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    reason: Mapped[str | None] = mapped_column(sa.Text)

    __table_args__ = (sa.Index("ix_audit_log_target", "target_type", "target_id"),)
