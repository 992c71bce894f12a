"""Every route under /staff checks the role on the server (walks the URL map, so a new
route without a check fails here): nobody → login, a reader's cookies or a forged form →
never a staff page, a moderator on an editor/admin route → 403."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.routing import Rule

from polls_site.models import Role
from polls_site.staff.auth import ROLE_ORDER
from tests.support.app import sample_url
from tests.support.factories import make_poll, make_staff, option_ids
from tests.support.polls import Voting
from tests.support.staff import CSRF_RE, StaffClient

# Our own admin pages; editors' pages carry their role on the view the same way.
ADMIN_ONLY = {
    "staff.accounts",
    "staff.add_account",
    "staff.set_active",
    "staff.set_role",
    "staff.jobs",
    "staff.retry_job",
    "staff.privacy",
    "staff.privacy_export",
    "staff.privacy_erase",
    "staff.set_setting",
}
PUBLIC = {"staff.login"}
STAFF_MARKER = "staff-header"


def staff_rules(app: Flask) -> list[Rule]:
    """Every rule under /staff, and every rule of the staff blueprint."""
    return [
        rule
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/staff") or rule.endpoint.startswith("staff.")
    ]


def requests(app: Flask) -> list[tuple[str, str, str]]:
    """(endpoint, method, url) for every protected staff route and method."""
    found = []
    for rule in staff_rules(app):
        if rule.endpoint in PUBLIC:
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            found.append((rule.endpoint, method, sample_url(app, rule)))
    return found


def test_every_staff_view_declares_a_role(app: Flask) -> None:
    rules = staff_rules(app)
    assert len(rules) > 15
    for rule in rules:
        if rule.endpoint in PUBLIC:
            continue
        view = app.view_functions[rule.endpoint]
        assert getattr(view, "staff_role", None) in ROLE_ORDER, (
            f"{rule.endpoint} ({rule.rule}) has no @staff_required"
        )
    for endpoint in ADMIN_ONLY:
        assert app.view_functions[endpoint].staff_role == Role.ADMIN, endpoint


def _never_a_staff_page(reply, endpoint: str) -> None:
    body = reply.get_data(as_text=True)
    assert reply.status_code in (302, 303, 400, 401, 403), (endpoint, reply.status_code)
    if reply.status_code in (302, 303):
        assert reply.headers["Location"].startswith("/staff/login"), endpoint
    assert STAFF_MARKER not in body, endpoint


def test_nobody_is_sent_to_login(app: Flask, client: FlaskClient) -> None:
    for endpoint, method, url in requests(app):
        reply = client.open(url, method=method)
        _never_a_staff_page(reply, endpoint)
        if method == "GET":
            assert reply.status_code in (302, 303), endpoint


def test_a_readers_cookies_and_a_forged_form_get_no_staff_page(app: Flask) -> None:
    reader = app.test_client()
    poll_id = make_poll(app)
    Voting(reader).vote(poll_id, option_ids(app, poll_id)[0])  # the reader's voter cookie
    page = reader.get("/staff/login").get_data(as_text=True)  # a session with a CSRF token
    token = CSRF_RE.search(page).group(1)
    assert reader.get_cookie("pv") is not None
    for endpoint, method, url in requests(app):
        data = {"csrf_token": token, "revision": "1", "action": "approve", "ids": "1"}
        reply = reader.open(url, method=method, data=data if method == "POST" else None)
        _never_a_staff_page(reply, endpoint)


def test_moderator_is_refused_editor_and_admin_routes(app: Flask, client: FlaskClient) -> None:
    make_staff(app, "mod", Role.MODERATOR)
    moderator = StaffClient(client)
    assert moderator.login("mod").status_code == 303
    refused = 0
    for endpoint, method, url in requests(app):
        required = app.view_functions[endpoint].staff_role
        if ROLE_ORDER[required] <= ROLE_ORDER[Role.MODERATOR]:
            continue
        if method == "POST":
            reply = moderator.post(url, {"revision": "1"})
        else:
            reply = moderator.get(url)
        assert reply.status_code == 403, (endpoint, method, reply.status_code)
        assert STAFF_MARKER not in reply.get_data(as_text=True)
        refused += 1
    assert refused >= len(ADMIN_ONLY)


@pytest.mark.parametrize("htmx", [False, True])
def test_every_staff_post_needs_the_csrf_token(app: Flask, htmx: bool) -> None:
    assert app.config.get("WTF_CSRF_ENABLED", True)
    make_staff(app, "boss", Role.ADMIN)
    admin = StaffClient(app.test_client())
    assert admin.login("boss").status_code == 303
    posts = [(e, u) for e, m, u in requests(app) if m == "POST"]
    assert posts
    for endpoint, url in posts:
        headers = {"HX-Request": "true"} if htmx else {}
        reply = admin.client.post(url, data={"revision": "1"}, headers=headers)
        assert reply.status_code == 400, (endpoint, reply.status_code)
    # The login form itself is protected too.
    reply = app.test_client().post("/staff/login", data={"username": "boss", "password": "x"})
    assert reply.status_code == 400


def test_staff_pages_are_never_framed_or_cached(app: Flask, client: FlaskClient) -> None:
    reply = client.get("/staff/login")
    assert "frame-ancestors 'none'" in reply.headers["Content-Security-Policy"]
    assert reply.headers["X-Frame-Options"] == "DENY"
    assert reply.headers["Cache-Control"] == "no-store"
