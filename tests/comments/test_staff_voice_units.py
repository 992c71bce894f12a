"""The pure parts of staff voice: the badge a role writes with, pinned comments first,
and which comments may be pinned or picked."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from polls_site.comments.staff_voice import EDITORIAL, MODERATOR, badge_for_role
from polls_site.comments.tree import CommentRow, build_tree
from polls_site.models import Comment, CommentStatus
from polls_site.staff.threads.features import FEATURES, feature_refusal

NOW = datetime(2026, 12, 2, 8, 0, tzinfo=UTC)


def row(id_: int, parent: int | None = None, likes: int = 0, pinned: int | None = None):
    pinned_at = NOW + timedelta(minutes=pinned) if pinned is not None else None
    return CommentRow(id_, parent, f"n{id_}", "", NOW, None, likes, pinned_at=pinned_at)


@pytest.mark.parametrize(
    ("role", "badge"), [("moderator", MODERATOR), ("editor", EDITORIAL), ("admin", EDITORIAL)]
)
def test_badges_by_role(role: str, badge: str) -> None:
    assert badge_for_role(role) == badge


@pytest.mark.parametrize("sort", ["new", "old", "best"])
def test_pinned_roots_come_first_latest_pinned_first_then_the_sort(sort: str) -> None:
    rows = [row(1, likes=5), row(2, pinned=1), row(3, likes=1), row(4, pinned=2), row(5, 4)]
    roots = build_tree(rows, sort)
    assert [r.row.id for r in roots[:2]] == [4, 2]
    rest = {"new": [3, 1], "old": [1, 3], "best": [1, 3]}[sort]
    assert [r.row.id for r in roots[2:]] == rest
    # A pinned root keeps its replies under it.
    assert [reply.row.id for reply in roots[0].replies] == [5]


def test_nothing_pinned_keeps_the_order() -> None:
    assert [r.row.id for r in build_tree([row(1), row(2), row(3)])] == [3, 2, 1]


def test_what_may_be_pinned_or_picked() -> None:
    root = Comment(status=CommentStatus.APPROVED, parent_id=None)
    reply = Comment(status=CommentStatus.APPROVED, parent_id=1)
    waiting = Comment(status=CommentStatus.REVIEW, parent_id=None)
    assert [feature_refusal(root, action) for action in FEATURES] == [None] * 4
    assert feature_refusal(reply, "pin") == "reply"
    assert feature_refusal(reply, "pick") is None
    assert feature_refusal(waiting, "pin") == "unpublished"
    assert feature_refusal(waiting, "pick") == "unpublished"
    # Taking a label off is always allowed (the comment may have been hidden since).
    assert feature_refusal(waiting, "unpin") is None and feature_refusal(reply, "unpick") is None
