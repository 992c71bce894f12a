"""Trust by track record: a reader's first comments wait for a moderator."""

from __future__ import annotations

import sqlalchemy as sa
from flask import current_app

from ..core.db import db
from ..models import Comment, CommentStatus
from .policy import needs_first_review


def first_review(voter_key: str) -> bool:
    """True while the reader is among their first PREMODERATE_FIRST_COMMENTS comments:
    fewer than that many of theirs have been approved (trust grows with approvals)."""
    first_k = current_app.config["PREMODERATE_FIRST_COMMENTS"]
    if first_k <= 0:
        return False
    approved = db.session.scalar(
        sa.select(sa.func.count(Comment.id)).where(
            Comment.voter_key == voter_key, Comment.status == CommentStatus.APPROVED
        )
    )
    return needs_first_review(approved or 0, first_k)
