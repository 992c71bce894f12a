"""Rotating SECRET_KEY: what the old key signed stays valid while it is a fallback."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask

from polls_site import create_app
from polls_site.models import Role
from polls_site.widget.voters import VOTER_COOKIE
from tests.support.app import app_config, close_connections
from tests.support.factories import PASSWORD, make_staff, option_ids
from tests.support.polls import Voting
from tests.support.staff import CSRF_RE, StaffClient

OLD, NEW = "old-secret-key-0123456789", "new-secret-key-9876543210"


@pytest.fixture
def make_site(app, database_url, redis_url, redis_prefix) -> Iterator:
    """Apps over one database and one Redis prefix, differing in their keys (``app``
    empties the tables afterwards)."""
    prefix = f"{redis_prefix}-rot:"
    made: list[Flask] = []

    def make(secret: str, fallbacks: str = "") -> Flask:
        config = app_config(database_url, redis_url, prefix, SECRET_KEY=secret)
        if fallbacks:
            config["SECRET_KEY_FALLBACKS"] = fallbacks.split(",")
        made.append(create_app(config))
        return made[-1]

    yield make
    for site in made:
        close_connections(site)


def carry_cookies(source, target, *names: str) -> None:
    for name in names:
        cookie = source.get_cookie(name)
        assert cookie is not None, f"no {name} cookie"
        target.set_cookie(name, cookie.value)


def test_a_staff_session_survives_the_rotation_only_with_the_fallback(make_site) -> None:
    before = make_site(OLD)
    make_staff(before, "mod", Role.MODERATOR)
    staff = StaffClient(before.test_client())
    assert staff.login("mod").status_code == 303
    for fallbacks, expected in ((OLD, 200), ("", 303)):
        after = make_site(NEW, fallbacks).test_client()
        carry_cookies(staff.client, after, "session")
        assert after.get("/staff/queue").status_code == expected, fallbacks


def test_a_login_form_rendered_before_the_rotation_still_posts(make_site) -> None:
    before = make_site(OLD)
    make_staff(before, "mod", Role.MODERATOR)
    old_client = before.test_client()
    token = CSRF_RE.search(old_client.get("/staff/login").get_data(as_text=True)).group(1)
    for fallbacks, expected in (("", 400), (OLD, 303)):
        after = make_site(NEW, fallbacks).test_client()
        carry_cookies(old_client, after, "session")
        reply = after.post(
            "/staff/login",
            data={"username": "mod", "password": PASSWORD, "csrf_token": token},
        )
        assert reply.status_code == expected, fallbacks


def test_a_reader_who_voted_is_still_known_with_the_fallback(make_site, poll_id) -> None:
    before = make_site(OLD)
    reader = Voting(before.test_client())
    assert reader.vote(poll_id, option_ids(before, poll_id)[0]).status_code == 200
    # A vote form opened before the rotation, submitted after it.
    other = Voting(before.test_client())
    token = other.token(poll_id)
    after = make_site(NEW, OLD)
    returning = after.test_client()
    carry_cookies(reader.client, returning, VOTER_COOKIE)
    assert "Вы проголосовали в этом опросе." in returning.get(f"/w/poll/{poll_id}").get_data(
        as_text=True
    )
    late = Voting(after.test_client())
    assert late.vote(poll_id, option_ids(after, poll_id)[1], token=token).status_code == 200
    # Without the fallback the old token is refused (and the form is shown again).
    cold = Voting(make_site(NEW).test_client())
    assert cold.vote(poll_id, option_ids(after, poll_id)[1], token=token).status_code != 200
