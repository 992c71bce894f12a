"""One factory per thing the tests store: polls, ballots, threads, comments, staff accounts."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, TypeVar

import pytest
import sqlalchemy as sa
from flask import Flask

from polls_site.comments.render import render_comment_html
from polls_site.comments.status import thread_changed
from polls_site.core.db import db
from polls_site.models import (
    Ballot,
    BallotChoice,
    Comment,
    CommentStatus,
    Option,
    Poll,
    PollStatus,
    Role,
    StaffUser,
    Thread,
    utcnow,
)
from polls_site.staff.passwords import hash_password

# The seed article's thread, which the comment widget tests read and post to.
KEY = "bishkek-astana-dialog"
# The thread make_comment files a comment under unless told otherwise.
ARTICLE = "article-1"
# Every staff account's password.
PASSWORD = "correct horse battery"

T = TypeVar("T")


def make_poll(
    app: Flask,
    options: list[str] | None = None,
    question: str = "Как вы относитесь к вопросу?",
    **fields: object,
) -> int:
    """Create an open poll (unless fields say otherwise) and return its id."""
    with app.app_context():
        poll = Poll(question=question, status=fields.pop("status", PollStatus.OPEN), **fields)
        poll.options = [
            Option(text=text, position=i)
            for i, text in enumerate(options or ["Да", "Нет", "Не знаю"])
        ]
        db.session.add(poll)
        db.session.commit()
        return poll.id


@pytest.fixture
def poll_id(app: Flask) -> int:
    """An open single-choice poll with three options."""
    return make_poll(app)


def option_ids(app: Flask, poll_id: int) -> list[int]:
    """The poll's option ids in the editors' order."""
    with app.app_context():
        return list(
            db.session.scalars(
                sa.select(Option.id).where(Option.poll_id == poll_id).order_by(Option.position)
            )
        )


def closed_poll_fields() -> dict:
    """Fields of a poll whose voting window has ended."""
    return {"status": PollStatus.CLOSED, "closes_at": utcnow() - timedelta(days=1)}


def _nth(value: T | Sequence[T], i: int) -> T:
    # One value for every ballot, or one per ballot.
    return value[i] if isinstance(value, list | tuple) else value


def add_ballots(
    app: Flask,
    poll_id: int,
    options: Sequence[int],
    *,
    voters: Sequence[str] | None = None,
    ip_hash: str | None | Sequence[str | None] = "h",
    net_hash: str | None | Sequence[str | None] = None,
    read_seconds: float | None | Sequence[float | None] = None,
    created_at: datetime | None | Sequence[datetime] = None,
) -> list[int]:
    """Store one ballot per entry of ``options`` (one option each); their ids, in order.

    Voters are ``voters[i]`` or ``c:r<i>``; every other field is one value for all ballots
    or one per ballot. Nothing is recounted: the caller decides how.
    """
    ids = []
    with app.app_context():
        for i, option in enumerate(options):
            ballot = Ballot(
                poll_id=poll_id,
                voter_key=voters[i] if voters else f"c:r{i}",
                ip_hash=_nth(ip_hash, i),
                net_hash=_nth(net_hash, i),
                read_seconds=_nth(read_seconds, i),
                created_at=_nth(created_at, i) or utcnow(),
            )
            ballot.choices = [BallotChoice(option_id=option, poll_id=poll_id)]
            db.session.add(ballot)
            db.session.flush()
            ids.append(ballot.id)
        db.session.commit()
    return ids


def make_thread(app: Flask, key: str = KEY, title: str = "Статья", **fields: object) -> int:
    """The id of the thread ``key``, created (with ``title`` and ``fields``) if it is new."""
    with app.app_context():
        thread = db.session.scalar(sa.select(Thread).where(Thread.key == key))
        if thread is None:
            thread = Thread(key=key, title=title, **fields)
            db.session.add(thread)
            db.session.commit()
        return thread.id


def make_comment(
    app: Flask,
    text: str = "Хороший текст",
    *,
    thread: int | str = ARTICLE,
    status: CommentStatus = CommentStatus.APPROVED,
    author_name: str = "Читатель",
    parent_id: int | None = None,
    voter_key: str = "c:reader-1",
    ip_hash: str | None = "iphash-1",
    user_agent: str = "pytest",
    likes: int = 0,
    created_at: datetime | None = None,
    reasons: list[dict[str, Any]] | None = None,
    score: int = 0,
) -> int:
    """Store a comment in ``status`` (counted in its thread when approved) and return its id.

    ``thread`` is a thread's id, or the key of a portal.example article's thread (made
    if it is new). Readers polling the thread see the change, as after a real decision.
    """
    if isinstance(thread, str):
        thread = make_thread(app, thread, url=f"https://portal.example/{thread}")
    with app.app_context():
        comment = Comment(
            thread_id=thread,
            parent_id=parent_id,
            author_name=author_name,
            text=text,
            html=render_comment_html(text),
            status=status,
            voter_key=voter_key,
            ip_hash=ip_hash,
            user_agent=user_agent,
            likes=likes,
            created_at=created_at or utcnow(),
            reasons=reasons or [],
            score=score,
        )
        db.session.add(comment)
        if status == CommentStatus.APPROVED:
            db.session.execute(
                sa.update(Thread)
                .where(Thread.id == thread)
                .values(comment_count=Thread.comment_count + 1)
            )
        db.session.commit()
        thread_changed(thread, db.session.get(Thread, thread).key)
        return comment.id


def make_staff(app: Flask, username: str, role: Role, *, active: bool = True) -> int:
    """Create a staff account with PASSWORD and return its id."""
    with app.app_context():
        user = StaffUser(
            username=username, password_hash=hash_password(PASSWORD), role=role, active=active
        )
        db.session.add(user)
        db.session.commit()
        return user.id
