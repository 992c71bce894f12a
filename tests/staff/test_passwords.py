"""Staff passwords: the shipped scrypt cost, rehash on login, a cap on concurrent hashing,
and the reset-password command."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from flask import Flask
from werkzeug import security

from polls_site import create_app
from polls_site.config import DEFAULTS
from polls_site.core.db import db
from polls_site.models import Role, StaffUser
from polls_site.staff import passwords
from tests.support.app import app_config, empty_tables
from tests.support.factories import PASSWORD, make_staff
from tests.support.staff import StaffClient, audit_rows


def stored_hash(app: Flask, username: str) -> str:
    with app.app_context():
        user = db.session.scalars(db.select(StaffUser).filter_by(username=username)).one()
        return user.password_hash


def test_the_shipped_cost_is_owasps_minimum(database_url, redis_url, redis_prefix, _schema) -> None:
    assert DEFAULTS["PASSWORD_HASH_COST"] == 17
    config = app_config(database_url, redis_url, f"{redis_prefix}-pw:")
    del config["PASSWORD_HASH_COST"]  # what an installation gets
    app = create_app(config)
    try:
        with app.app_context():
            hashed = passwords.hash_password(PASSWORD)
        assert hashed.startswith("scrypt:131072:8:1$")  # N = 2**17, r = 8, p = 1
        assert security.check_password_hash(hashed, PASSWORD)
    finally:
        empty_tables(app)


def test_a_weaker_hash_is_upgraded_at_the_next_good_login(app: Flask, client) -> None:
    make_staff(app, "mod", Role.MODERATOR)
    with app.app_context():
        user = db.session.scalars(db.select(StaffUser).filter_by(username="mod")).one()
        # What earlier releases stored: werkzeug's default, N = 2**15.
        user.password_hash = security.generate_password_hash(PASSWORD, method="scrypt:32768:8:1")
        db.session.commit()
    staff = StaffClient(client)
    assert staff.login("mod", "wrong password!").status_code == 401
    assert stored_hash(app, "mod").startswith("scrypt:32768:8:1$")  # a failure changes nothing
    assert staff.login("mod").status_code == 303
    upgraded = stored_hash(app, "mod")
    assert upgraded.startswith(passwords.hash_method(app.config["PASSWORD_HASH_COST"]) + "$")
    assert security.check_password_hash(upgraded, PASSWORD)
    # The session made by this login survives its own rehash.
    assert "Очередь модерации" in client.get("/staff/queue").get_data(as_text=True)


def test_no_more_hashes_run_at_once_than_the_setting_allows(app: Flask, monkeypatch) -> None:
    make_staff(app, "mod", Role.MODERATOR)
    running, peak = [0], [0]
    lock = threading.Lock()
    real_check = passwords.check_password_hash

    def counted(stored: str, password: str) -> bool:
        with lock:
            running[0] += 1
            peak[0] = max(peak[0], running[0])
        try:
            return real_check(stored, password)
        finally:
            with lock:
                running[0] -= 1

    monkeypatch.setattr(passwords, "check_password_hash", counted)
    assert app.config["PASSWORD_HASH_CONCURRENCY"] == 1
    clients = [StaffClient(app.test_client()) for _ in range(6)]
    with ThreadPoolExecutor(len(clients)) as pool:
        codes = list(pool.map(lambda c: c.login("mod", "wrong password!").status_code, clients))
    assert codes.count(401) + codes.count(429) == len(clients)
    assert codes.count(401) >= 2 and peak[0] == 1


def test_a_login_that_finds_no_free_slot_is_told_to_retry(app: Flask, monkeypatch) -> None:
    make_staff(app, "mod", Role.MODERATOR)
    monkeypatch.setattr(passwords, "HASH_WAIT_SECONDS", 0.05)
    staff = StaffClient(app.test_client())
    slots = app.extensions["password_slots"]
    assert slots.acquire(timeout=1)  # a hash of another login holds the only slot
    try:
        reply = staff.login("mod")
    finally:
        slots.release()
    assert reply.status_code == 503 and reply.headers["Retry-After"] == "5"
    assert "Слишком много входов одновременно" in reply.get_data(as_text=True)
    assert staff.login("mod").status_code == 303  # free again


@pytest.fixture
def moderator_session(app: Flask, client) -> StaffClient:
    make_staff(app, "mod", Role.MODERATOR)
    staff = StaffClient(client)
    assert staff.login("mod").status_code == 303
    return staff


def test_reset_password_reads_a_prompt_and_ends_sessions(app, runner, moderator_session) -> None:
    new = "a brand new passphrase"
    result = runner.invoke(args=["reset-password", " MOD "], input=f"{new}\n{new}\n")
    assert result.exit_code == 0, result.output
    assert new not in result.output  # typed at a hidden prompt, not echoed
    assert moderator_session.get("/staff/queue").status_code == 303  # the old session ended
    fresh = StaffClient(app.test_client())
    assert fresh.login("mod").status_code == 401
    assert fresh.login("mod", new).status_code == 303
    assert [row.reason for row in audit_rows(app, "staff.password")] == ["command line"]


def test_reset_password_takes_no_password_on_the_command_line(app, runner) -> None:
    make_staff(app, "mod", Role.MODERATOR)
    result = runner.invoke(args=["reset-password", "mod", "secret-in-argv-1"])
    assert result.exit_code == 2  # usage error: no such argument
    short = runner.invoke(args=["reset-password", "mod"], input="short\nshort\n")
    assert short.exit_code == 1 and "at least 10 characters" in short.output
    unknown = runner.invoke(args=["reset-password", "nobody"], input="x\n")
    assert unknown.exit_code == 1 and "no staff user 'nobody'" in unknown.output
    assert security.check_password_hash(stored_hash(app, "mod"), PASSWORD)
