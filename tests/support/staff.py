"""Helpers for the staff tests: accounts, comments in every state, a logged-in client.

Import the fixtures into a test module (like tests/live.py):

    from tests.staff_helpers import staff_fixture, moderator_fixture  # noqa: F401
"""

from __future__ import annotations

import re
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from polls_site.comments.render import render_comment_html
from polls_site.core.db import db
from polls_site.models import AuditEntry, Comment, CommentStatus, Role, StaffUser, Thread
from polls_site.staff.auth import hash_password

PASSWORD = "correct horse battery"
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


def make_staff(app: Flask, username: str, role: Role, *, active: bool = True) -> int:
    """Create a staff account with PASSWORD and return its id."""
    with app.app_context():
        user = StaffUser(
            username=username, password_hash=hash_password(PASSWORD), role=role, active=active
        )
        db.session.add(user)
        db.session.commit()
        return user.id


def make_thread(app: Flask, key: str = "article-1", title: str = "Статья") -> int:
    """Create a comment thread (or find it) and return its id."""
    with app.app_context():
        thread = db.session.scalar(sa.select(Thread).where(Thread.key == key))
        if thread is None:
            thread = Thread(key=key, title=title, url=f"https://portal.example/{key}")
            db.session.add(thread)
            db.session.commit()
        return thread.id


def make_comment(
    app: Flask,
    text: str = "Обычный комментарий",
    *,
    status: CommentStatus = CommentStatus.REVIEW,
    thread_key: str = "article-1",
    voter_key: str = "c:reader-1",
    ip_hash: str | None = "iphash-1",
    author_name: str = "Читатель",
    reasons: list[dict[str, Any]] | None = None,
    score: int = 0,
) -> int:
    """Store a comment in ``status`` (counting it in its thread when approved); its id."""
    thread_id = make_thread(app, thread_key)
    with app.app_context():
        comment = Comment(
            thread_id=thread_id,
            author_name=author_name,
            text=text,
            html=render_comment_html(text),
            status=status,
            voter_key=voter_key,
            ip_hash=ip_hash,
            user_agent="pytest",
            reasons=reasons or [],
            score=score,
        )
        db.session.add(comment)
        if status == CommentStatus.APPROVED:
            db.session.get(Thread, thread_id).comment_count += 1
        db.session.commit()
        return comment.id


def comment_state(app: Flask, comment_id: int) -> tuple[str, int]:
    """(status, revision) of a comment as the database has it now."""
    with app.app_context():
        comment = db.session.get(Comment, comment_id)
        result = (comment.status, comment.revision)
        db.session.remove()
        return result


def thread_count(app: Flask, key: str = "article-1") -> int:
    """Thread.comment_count of the thread ``key``."""
    with app.app_context():
        count = db.session.scalar(sa.select(Thread.comment_count).where(Thread.key == key))
        db.session.remove()
        return count


def approved_count(app: Flask, key: str = "article-1") -> int:
    """The approved comments of thread ``key``, counted."""
    with app.app_context():
        count = db.session.scalar(
            sa.select(sa.func.count(Comment.id))
            .join(Thread)
            .where(Thread.key == key, Comment.status == CommentStatus.APPROVED)
        )
        db.session.remove()
        return count


def audit_rows(app: Flask, action: str | None = None) -> list[AuditEntry]:
    """Audit rows (of ``action``), oldest first."""
    with app.app_context():
        query = sa.select(AuditEntry).order_by(AuditEntry.id)
        if action:
            query = query.where(AuditEntry.action == action)
        rows = list(db.session.scalars(query))
        db.session.remove()
        return rows


class StaffClient:
    """A test client that logs in and sends the CSRF token with its posts."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client
        self.token = ""

    def login(self, username: str, password: str = PASSWORD, **headers: str):
        """Post the login form (with the token the form rendered)."""
        page = self.client.get("/staff/login").get_data(as_text=True)
        token = CSRF_RE.search(page).group(1)
        reply = self.client.post(
            "/staff/login",
            data={"username": username, "password": password, "csrf_token": token},
            headers=headers,
        )
        if reply.status_code == 303:
            self.refresh_token()
        return reply

    def refresh_token(self) -> str:
        """Read the CSRF token from a staff page (it changes at login)."""
        page = self.client.get("/staff/audit").get_data(as_text=True)
        match = CSRF_RE.search(page)
        assert match, "no CSRF token on the staff page"
        self.token = match.group(1)
        return self.token

    def get(self, url: str, htmx: bool = False, **kwargs: Any):
        headers = {"HX-Request": "true"} if htmx else {}
        return self.client.get(url, headers=headers, **kwargs)

    def post(self, url: str, data: dict | None = None, htmx: bool = False, **kwargs: Any):
        """POST ``data`` plus the CSRF token; as htmx when asked."""
        headers = {"HX-Request": "true", "X-CSRFToken": self.token} if htmx else {}
        body = dict(data or {})
        if not htmx:
            body["csrf_token"] = self.token
        return self.client.post(url, data=body, headers=headers, **kwargs)


@pytest.fixture(name="moderator")
def moderator_fixture(app: Flask, client: FlaskClient) -> StaffClient:
    """A client logged in as the moderator "mod"."""
    make_staff(app, "mod", Role.MODERATOR)
    staff = StaffClient(client)
    assert staff.login("mod").status_code == 303
    return staff


@pytest.fixture(name="admin")
def admin_fixture(app: Flask) -> StaffClient:
    """A second client, logged in as the admin "boss"."""
    make_staff(app, "boss", Role.ADMIN)
    staff = StaffClient(app.test_client())
    assert staff.login("boss").status_code == 303
    return staff
