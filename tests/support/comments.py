"""A reader using the comment widget through the test client, and the comments read back."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from polls_site.core.db import db
from polls_site.models import Comment, CommentStatus, Thread
from polls_site.widget.voters import NEW_VOTER, VOTER_HEADER
from tests.support.factories import ARTICLE, KEY
from tests.support.polls import TOKEN_RE

PORTAL = "http://127.0.0.1:8001"  # the default EMBED_ALLOWED_ORIGINS


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
        # As widget.js does with empty storage: ask for an identity (the cookie the
        # response sets then names this reader; a known reader's cookie wins).
        all_headers = {"HX-Request": "true", VOTER_HEADER: NEW_VOTER} if htmx else {}
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


def comment_state(app: Flask, comment_id: int) -> tuple[str, int]:
    """(status, revision) of a comment as the database has it now."""
    with app.app_context():
        comment = db.session.get(Comment, comment_id)
        result = (comment.status, comment.revision)
        db.session.remove()
        return result


def thread_count(app: Flask, key: str = ARTICLE) -> int:
    """Thread.comment_count of the thread ``key``."""
    with app.app_context():
        count = db.session.scalar(sa.select(Thread.comment_count).where(Thread.key == key))
        db.session.remove()
        return count


def approved_count(app: Flask, key: str = ARTICLE) -> int:
    """The approved comments of thread ``key``, counted."""
    with app.app_context():
        count = db.session.scalar(
            sa.select(sa.func.count(Comment.id))
            .join(Thread)
            .where(Thread.key == key, Comment.status == CommentStatus.APPROVED)
        )
        db.session.remove()
        return count
