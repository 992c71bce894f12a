"""Pinning a comment and marking it an editor's pick: one table of the four actions,
one audit row each, and the thread's cached pages told (its version is bumped)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm.exc import StaleDataError

from ...comments.status import thread_changed
from ...core.db import db
from ...core.near_cache import near_cache
from ...models import Comment, CommentStatus, Thread, utcnow
from .. import audit


@dataclass(frozen=True)
class Feature:
    """One action: the column it sets (now) or clears, and whether only a top-level
    comment may take it."""

    column: str
    on: bool
    roots_only: bool = False


# Pinning moves a whole exchange to the top, so only a top-level comment is pinned; a
# pick is a label and may be any published comment.
FEATURES = {
    "pin": Feature("pinned_at", True, roots_only=True),
    "unpin": Feature("pinned_at", False),
    "pick": Feature("picked_at", True),
    "unpick": Feature("picked_at", False),
}


def feature_refusal(comment: Comment, action: str) -> str | None:
    """Why ``action`` cannot apply to ``comment`` ("unpublished", "reply"), or None."""
    feature = FEATURES[action]
    if feature.on and comment.status != CommentStatus.APPROVED:
        return "unpublished"
    if feature.on and feature.roots_only and comment.parent_id is not None:
        return "reply"
    return None


def apply_feature(comment: Comment, thread: Thread, action: str) -> str:
    """Apply ``action`` ("pin", "unpin", "pick", "unpick"): "done", "unchanged" (nothing
    written), "stale" (a moderator changed the comment at the same moment) or a refusal."""
    refusal = feature_refusal(comment, action)
    if refusal is not None:
        return refusal
    feature = FEATURES[action]
    current = getattr(comment, feature.column)
    if (current is not None) == feature.on:
        return "unchanged"
    setattr(comment, feature.column, utcnow() if feature.on else None)
    audit.record(
        f"comment.{action}",
        "comment",
        comment.id,
        before={feature.column: current is not None},
        after={feature.column: feature.on, "thread_id": thread.id},
    )
    try:
        db.session.commit()
    except StaleDataError:
        db.session.rollback()
        return "stale"
    near_cache().forget(("thread-version", thread.id))
    thread_changed(thread.id, thread.key)
    return "done"
