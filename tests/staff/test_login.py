"""Staff login: success, failure, the failed-login limit, disabled accounts, logout, cookies."""

from __future__ import annotations

import re
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from flask import Flask

from polls_site.config import parse_limit
from polls_site.core.db import db
from polls_site.models import Role, StaffUser
from polls_site.staff import login as login_module
from tests.support.app import app_config
from tests.support.factories import PASSWORD, make_staff
from tests.support.staff import CSRF_RE, StaffClient, audit_rows


def test_login_success_goes_back_to_next_page(app: Flask, client) -> None:
    make_staff(app, "mod", Role.MODERATOR)
    reply = client.get("/staff/queue?status=review")
    assert reply.status_code in (302, 303)
    assert "/staff/login?next=" in reply.headers["Location"]
    staff = StaffClient(client)
    page = client.get(reply.headers["Location"]).get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    nxt = re.search(r'name="next" value="([^"]*)"', page).group(1)
    reply = client.post(
        "/staff/login",
        data={"username": " MOD ", "password": PASSWORD, "csrf_token": token, "next": nxt},
    )
    assert reply.status_code == 303
    assert reply.headers["Location"] == "/staff/queue?status=review"
    staff.refresh_token()
    assert "Очередь модерации" in client.get("/staff/queue").get_data(as_text=True)
    assert [row.staff_name for row in audit_rows(app, "staff.login")] == ["mod"]


def test_login_never_redirects_off_the_staff_area(app: Flask) -> None:
    make_staff(app, "mod", Role.MODERATOR)
    for target in ("https://evil.example/", "//evil.example/staff/", "/w/poll/1"):
        client = app.test_client()
        page = client.get("/staff/login").get_data(as_text=True)
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        reply = client.post(
            "/staff/login",
            data={"username": "mod", "password": PASSWORD, "csrf_token": token, "next": target},
        )
        assert reply.status_code == 303
        assert reply.headers["Location"] == "/staff/queue"
        page = client.get("/staff/login?next=/staff/queue")  # logged in: straight on
        assert page.status_code == 303


def test_wrong_password_is_refused_with_a_russian_message(app: Flask, client) -> None:
    make_staff(app, "mod", Role.MODERATOR)
    reply = StaffClient(client).login("mod", "wrong password!")
    assert reply.status_code == 401
    assert "Неверное имя пользователя или пароль." in reply.get_data(as_text=True)
    assert client.get("/staff/queue").status_code in (302, 303)


def test_unknown_user_gets_the_same_message(app: Flask, client) -> None:
    reply = StaffClient(client).login("nobody", PASSWORD)
    assert reply.status_code == 401
    assert "Неверное имя пользователя или пароль." in reply.get_data(as_text=True)


def test_failed_logins_are_limited_per_username(app: Flask, client) -> None:
    make_staff(app, "mod", Role.MODERATOR)
    staff = StaffClient(client)
    for _ in range(5):
        assert staff.login("mod", "wrong password!").status_code == 401
    reply = staff.login("mod", PASSWORD)  # even the right password waits now
    assert reply.status_code == 429
    assert "Слишком много неудачных попыток входа" in reply.get_data(as_text=True)
    # Another username from the same IP is not locked by this one's failures.
    make_staff(app, "other", Role.MODERATOR)
    assert StaffClient(app.test_client()).login("other").status_code == 303


def test_failed_logins_are_limited_per_ip(database_url, redis_url, redis_prefix, _schema) -> None:
    from polls_site import create_app
    from tests.support.app import empty_tables

    app = create_app(
        app_config(database_url, redis_url, f"{redis_prefix}-ip:", STAFF_LOGIN_LIMIT_IP="3/900")
    )
    try:
        make_staff(app, "mod", Role.MODERATOR)
        staff = StaffClient(app.test_client())
        for name in ("a", "b", "c"):
            assert staff.login(name, "wrong password!").status_code == 401
        assert staff.login("mod").status_code == 429
    finally:
        empty_tables(app)


def test_disabled_account_cannot_log_in_and_its_session_stops(app: Flask, client) -> None:
    user_id = make_staff(app, "mod", Role.MODERATOR)
    staff = StaffClient(client)
    assert staff.login("mod").status_code == 303
    assert client.get("/staff/queue").status_code == 200
    with app.app_context():
        db.session.get(StaffUser, user_id).active = False
        db.session.commit()
    assert client.get("/staff/queue").status_code in (302, 303)
    reply = StaffClient(app.test_client()).login("mod")
    assert reply.status_code == 401


def test_password_change_ends_old_sessions(app: Flask, client) -> None:
    from polls_site.staff.passwords import hash_password

    user_id = make_staff(app, "mod", Role.MODERATOR)
    assert StaffClient(client).login("mod").status_code == 303
    with app.app_context():
        db.session.get(StaffUser, user_id).password_hash = hash_password("another password")
        db.session.commit()
    assert client.get("/staff/queue").status_code in (302, 303)


def test_session_cookie_flags_and_rotation(app: Flask, client) -> None:
    make_staff(app, "mod", Role.MODERATOR)
    client.get("/staff/login")
    before = client.get_cookie("session").value
    reply = StaffClient(client).login("mod")
    cookie = reply.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # not PRODUCTION
    assert client.get_cookie("session").value != before


def test_logout_revokes_the_cookie_even_if_replayed(app: Flask, client) -> None:
    make_staff(app, "mod", Role.MODERATOR)
    staff = StaffClient(client)
    staff.login("mod")
    stolen = client.get_cookie("session").value
    reply = staff.post("/staff/logout")
    assert reply.status_code == 303
    assert [row.staff_name for row in audit_rows(app, "staff.logout")] == ["mod"]
    assert client.get("/staff/queue").status_code in (302, 303)
    replay = app.test_client()
    replay.set_cookie("session", stolen)
    assert replay.get("/staff/queue").status_code in (302, 303)


def test_secure_cookie_in_production(database_url, redis_url, redis_prefix, _schema) -> None:
    from polls_site import create_app

    app = create_app(
        app_config(
            database_url, redis_url, f"{redis_prefix}-prod:", PRODUCTION=True, SECRET_KEY="x" * 40
        )
    )
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    app.extensions["polls_redis"].close()


@pytest.mark.parametrize("htmx", [False, True])
def test_expired_session_on_htmx_goes_to_login(app: Flask, client, htmx: bool) -> None:
    headers = {"HX-Request": "true"} if htmx else {}
    if htmx:
        headers["HX-Current-URL"] = "http://localhost/staff/queue?status=review"
    reply = client.get("/staff/queue/count", headers=headers)
    if htmx:
        assert reply.status_code == 401
        # After login: back to the page that was polling, not to the fragment.
        assert reply.headers["HX-Redirect"] == "/staff/login?next=/staff/queue?status%3Dreview"
    else:
        assert reply.status_code in (302, 303)


def test_staff_area_works_while_redis_is_down(app_without_redis: Flask) -> None:
    from polls_site.models import CommentStatus
    from tests.support.comments import comment_state
    from tests.support.factories import make_comment

    app = app_without_redis
    make_staff(app, "mod", Role.MODERATOR)
    staff = StaffClient(app.test_client())
    assert staff.login("mod", "wrong password!").status_code == 401  # not counted, no 500
    assert staff.login("mod").status_code == 303
    comment_id = make_comment(app, status=CommentStatus.REVIEW)
    reply = staff.post(f"/staff/comments/{comment_id}/approve", {"revision": 1}, htmx=True)
    assert reply.status_code == 200
    assert comment_state(app, comment_id)[0] == CommentStatus.APPROVED
    assert staff.post("/staff/logout").status_code == 303


def _client_from(app: Flask, address: str) -> StaffClient:
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return StaffClient(client)


def test_wrong_passwords_from_elsewhere_do_not_lock_the_real_user_out(app: Flask) -> None:
    make_staff(app, "mod", Role.MODERATOR)
    attacker = _client_from(app, "203.0.113.66")
    for _ in range(12):
        assert attacker.login("mod", "wrong password!").status_code in {401, 429}
    assert attacker.login("mod").status_code == 429  # the attacker's address is held
    assert _client_from(app, "198.51.100.7").login("mod").status_code == 303


def test_parallel_wrong_logins_get_no_more_password_checks_than_the_limit(
    app: Flask, monkeypatch
) -> None:
    """Counted before the password is checked, atomically: a burst cannot slip past."""
    make_staff(app, "mod", Role.MODERATOR)
    count, _window = parse_limit(app.config["STAFF_LOGIN_LIMIT_USER"])
    checks: list[bool] = []
    lock = threading.Lock()
    original = login_module.password_matches

    def counted(user, password):
        with lock:
            checks.append(True)
        return original(user, password)

    monkeypatch.setattr(login_module, "password_matches", counted)
    clients = [_client_from(app, "203.0.113.66") for _ in range(25)]
    pages = [c.client.get("/staff/login").get_data(as_text=True) for c in clients]
    tokens = [CSRF_RE.search(page).group(1) for page in pages]
    start = threading.Barrier(len(clients))

    def attempt(i: int) -> int:
        start.wait()
        data = {"username": "mod", "password": "wrong password!", "csrf_token": tokens[i]}
        return clients[i].client.post("/staff/login", data=data).status_code

    with ThreadPoolExecutor(len(clients)) as pool:
        statuses = list(pool.map(attempt, range(len(clients))))
    assert sorted(statuses) == [401] * count + [429] * (len(clients) - count)
    assert len(checks) == count
