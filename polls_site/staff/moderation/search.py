"""Finding comments for the queue and the published list: filters, text search, pages."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask import request
from sqlalchemy.orm import joinedload

from ...core.converters import parse_count
from ...core.db import db
from ...models import Comment, CommentStatus, Thread

PAGE_SIZE = 50

QUEUE_STATUSES = (CommentStatus.REVIEW, CommentStatus.PENDING)
PUBLISHED_STATUSES = (
    CommentStatus.APPROVED,
    CommentStatus.HIDDEN,
    CommentStatus.REJECTED,
    CommentStatus.SPAM,
)


@dataclass
class Filters:
    """What the moderator narrowed the list to; empty strings mean "any"."""

    thread: str = ""
    rule: str = ""
    status: str = ""
    q: str = ""
    page: int = 1

    @classmethod
    def from_request(cls, allowed_statuses: tuple[str, ...]) -> Filters:
        """The filters in the query string (or a posted form); unknown values are dropped."""
        return cls.from_values(request.values, allowed_statuses)

    @classmethod
    def from_values(cls, values: Mapping[str, str], allowed_statuses: tuple[str, ...]) -> Filters:
        """The filters in ``values`` (query arguments); unknown values are dropped."""
        status = values.get("status", "")
        page = max(parse_count(values.get("page"), 1), 1)
        return cls(
            thread=values.get("thread", "")[:200],
            rule=values.get("rule", "")[:50],
            status=status if status in allowed_statuses else "",
            q=values.get("q", "").strip()[:200],
            page=page,
        )

    def args(self, **changes: Any) -> dict[str, Any]:
        """The non-empty filters as query arguments, with ``changes`` applied."""
        values = {"thread": self.thread, "rule": self.rule, "status": self.status, "q": self.q}
        values.update(changes)
        return {key: value for key, value in values.items() if value not in ("", None, 1)}


def _rule_clause(rule: str) -> sa.ColumnElement[bool]:
    # Reasons are a JSON list written by json.dumps on both databases, so the rule
    # appears in the stored text exactly as '"rule": "<name>"'.
    needle = f'"rule": "{rule}"'
    return sa.cast(Comment.reasons, sa.Text).contains(needle, autoescape=True)


def _matching(filters: Filters, statuses: tuple[str, ...]) -> sa.Select:
    wanted = (filters.status,) if filters.status else statuses
    query = sa.select(Comment).where(Comment.status.in_(wanted))
    if filters.thread:
        query = query.join(Thread).where(Thread.key == filters.thread)
    if filters.rule:
        query = query.where(_rule_clause(filters.rule))
    if filters.q:
        # SQLite folds case for ASCII only; PostgreSQL's ILIKE folds Cyrillic too.
        query = query.where(
            sa.or_(
                Comment.text.icontains(filters.q, autoescape=True),
                Comment.author_name.icontains(filters.q, autoescape=True),
            )
        )
    return query


def count_comments(filters: Filters, statuses: tuple[str, ...]) -> int:
    """How many comments in ``statuses`` match ``filters`` (every page)."""
    query = _matching(filters, statuses)
    return db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery()))


def find_comments(
    filters: Filters, statuses: tuple[str, ...], *, oldest_first: bool
) -> tuple[list[Comment], int]:
    """One page of comments matching ``filters`` in ``statuses``, and how many match in all."""
    order = Comment.id.asc() if oldest_first else Comment.id.desc()
    page = db.session.scalars(
        _matching(filters, statuses)
        .options(joinedload(Comment.thread))
        .order_by(order)
        .limit(PAGE_SIZE)
        .offset((filters.page - 1) * PAGE_SIZE)
    ).all()
    return list(page), count_comments(filters, statuses)


def known_rules() -> list[str]:
    """The rule names found in stored reasons of comments in the queue (for the filter)."""
    rows = db.session.scalars(
        sa.select(Comment.reasons).where(Comment.status.in_(QUEUE_STATUSES)).limit(500)
    )
    rules = {reason.get("rule") for reasons in rows for reason in reasons or []}
    return sorted(rule for rule in rules if isinstance(rule, str))
