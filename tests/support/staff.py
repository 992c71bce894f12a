"""A staff member using the staff area through the test client, and the audit log read back."""

from __future__ import annotations

import re
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from polls_site.core.db import db
from polls_site.models import AuditEntry, Role
from tests.support.factories import PASSWORD, make_staff

CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


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


def logged_in(app: Flask, client: FlaskClient, username: str, role: Role) -> StaffClient:
    """``client`` logged in as a new staff account ``username`` with ``role``."""
    make_staff(app, username, role)
    staff = StaffClient(client)
    assert staff.login(username).status_code == 303
    return staff


@pytest.fixture(name="moderator")
def moderator_fixture(app: Flask, client: FlaskClient) -> StaffClient:
    """A client logged in as the moderator "mod"."""
    return logged_in(app, client, "mod", Role.MODERATOR)


@pytest.fixture(name="admin")
def admin_fixture(app: Flask) -> StaffClient:
    """A second client, logged in as the admin "boss"."""
    return logged_in(app, app.test_client(), "boss", Role.ADMIN)


@pytest.fixture(name="editor")
def editor_fixture(app: Flask, client: FlaskClient) -> StaffClient:
    """A client logged in as the editor "ed"."""
    return logged_in(app, client, "ed", Role.EDITOR)


def audit_rows(app: Flask, action: str | None = None) -> list[AuditEntry]:
    """Audit rows (of ``action``), oldest first."""
    with app.app_context():
        query = sa.select(AuditEntry).order_by(AuditEntry.id)
        if action:
            query = query.where(AuditEntry.action == action)
        rows = list(db.session.scalars(query))
        db.session.remove()
        return rows
