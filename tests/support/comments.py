"""Helpers for the comment widget tests: threads and comments in the database, and a reader
who opens the widget and posts through it (like flaskr's AuthActions).

Import the fixtures by their function names and ask for them as ``reader`` and
``other_reader``:

    from tests.comment_actions import other_reader_fixture, reader_fixture  # noqa: F401
"""

from __future__ import annotations

import re
from datetime import datetime

import pytest
from flask import Flask
from flask.testing import FlaskClient

from polls_site.comments.render import render_comment_html
from polls_site.comments.status import change_status, thread_changed
from polls_site.core.db import db
from polls_site.models import Comment, CommentStatus, Thread, utcnow

PORTAL = "http://127.0.0.1:8001"  # the default EMBED_ALLOWED_ORIGINS
KEY = "bishkek-astana-dialog"
TOKEN_RE = re.compile(r'name="token" value="([^"]+)"')


def make_thread(app: Flask, key: str = KEY, **fields: object) -> int:
    """Create a thread and return its id."""
    with app.app_context():
        thread = Thread(key=key, title=fields.pop("title", "Статья"), **fields)
        db.session.add(thread)
        db.session.commit()
        return thread.id


def add_comment(
    app: Flask,
    thread_id: int,
    text: str = "Хороший текст",
    *,
    status: CommentStatus = CommentStatus.APPROVED,
    name: str = "Читатель",
    parent_id: int | None = None,
    voter_key: str = "c:someone-else",
    likes: int = 0,
    created_at: datetime | None = None,
) -> int:
    """Store a comment the way the app does (pending, then through change_status)."""
    with app.app_context():
        comment = Comment(
            thread_id=thread_id,
            parent_id=parent_id,
            author_name=name,
            text=text,
            html=render_comment_html(text),
            status=CommentStatus.PENDING,
            voter_key=voter_key,
            ip_hash="test",
            likes=likes,
            created_at=created_at or utcnow(),
        )
        db.session.add(comment)
        db.session.flush()
        change_status(comment, status)
        db.session.commit()
        thread = db.session.get(Thread, thread_id)
        thread_changed(thread.id, thread.key)
        return comment.id


def get_comment(app: Flask, comment_id: int) -> Comment:
    """A detached copy of the comment as the database holds it now."""
    with app.app_context():
        comment = db.session.get(Comment, comment_id)
        db.session.expunge(comment)
        return comment


def comment_rows(app: Flask) -> list[Comment]:
    """Every comment in the database, oldest first."""
    with app.app_context():
        rows = db.session.scalars(db.select(Comment).order_by(Comment.id)).all()
        for row in rows:
            db.session.expunge(row)
        return list(rows)


class Commenting:
    """A reader using the widget through the test client."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client

    def open(self, key: str = KEY, **params: str):
        """GET the widget as the portal's iframe would (Referer: the article page)."""
        return self.client.get(
            f"/w/comments/{key}", query_string=params, headers={"Referer": f"{PORTAL}/news/1.html"}
        )

    def token(self, key: str = KEY) -> str:
        """The form token the reader's widget rendered."""
        match = TOKEN_RE.search(self.open(key).get_data(as_text=True))
        assert match, "the widget rendered no form"
        return match.group(1)

    def post(
        self,
        key: str = KEY,
        text: str = "Интересная статья, спасибо.",
        name: str = "Айгуль",
        *,
        htmx: bool = True,
        token: str | None = None,
        headers: dict | None = None,
        **fields: str,
    ):
        """POST a comment with the token of a freshly opened widget."""
        data = {"token": token or self.token(key), "name": name, "text": text, "website": ""}
        data.update(fields)
        all_headers = {"HX-Request": "true"} if htmx else {}
        all_headers.update(headers or {})
        return self.client.post(f"/w/comments/{key}", data=data, headers=all_headers)


@pytest.fixture(name="reader")
def reader_fixture(client: FlaskClient) -> Commenting:
    """A reader with their own cookie jar."""
    return Commenting(client)


@pytest.fixture(name="other_reader")
def other_reader_fixture(app: Flask) -> Commenting:
    """A second reader (another browser, another cookie)."""
    return Commenting(app.test_client())
