"""Secrets and personal data: no raw client IP stored anywhere (every string column of
every table, every Redis key and value, the log), staff passwords hashed, and production
refuses to start with the default SECRET_KEY."""

from __future__ import annotations

import json
import logging

import pytest
import sqlalchemy as sa
from flask import Flask

from polls_site import create_app
from polls_site.config import DEFAULTS
from polls_site.core.db import db
from polls_site.core.redis import redis_client
from polls_site.models import Comment, Role, StaffUser
from tests.support.app import drain_queue
from tests.support.comments import Commenting
from tests.support.factories import (
    KEY,
    PASSWORD,
    make_comment,
    make_poll,
    make_staff,
    make_thread,
    option_ids,
)
from tests.support.polls import Voting
from tests.support.staff import StaffClient

IPV4 = "203.0.113.77"
IPV6 = "2001:db8:85a3::8a2e:370:7334"


def text_columns(table: sa.Table) -> list[sa.Column]:
    """The columns that could hold an address: strings, texts and JSON."""
    return [
        column
        for column in table.columns
        if isinstance(column.type, sa.String | sa.Text | sa.JSON | sa.LargeBinary)
    ]


def cells_containing(app: Flask, needles: tuple[str, ...]) -> list[str]:
    """``table.column = value`` of every stored cell containing one of ``needles``."""
    found = []
    with app.app_context():
        for table in db.metadata.sorted_tables:
            columns = text_columns(table)
            if not columns:
                continue
            for row in db.session.execute(sa.select(*columns)).all():
                for column, value in zip(columns, row, strict=True):
                    text = json.dumps(value, ensure_ascii=False) if value is not None else ""
                    if any(needle in text for needle in needles):
                        found.append(f"{table.name}.{column.name} = {text[:120]}")
        db.session.remove()
    return found


def redis_entries_containing(app: Flask, needles: tuple[str, ...]) -> list[str]:
    """Keys under the app's prefix whose name or string value contains a needle."""
    found = []
    with app.app_context():
        client = redis_client()
        for key in client.scan_iter(match=f"{app.config['REDIS_KEY_PREFIX']}*", count=1000):
            name = key.decode(errors="replace")
            value = client.get(key) if client.type(key) == b"string" else b""
            text = name + (value or b"").decode(errors="replace")
            if any(needle in text for needle in needles):
                found.append(name)
    return found


def act_from(app: Flask, ip: str, poll_id: int, *, login: bool) -> None:
    """Open widgets, vote, comment, like, fail a login and moderate, all from ``ip``."""
    browser = app.test_client()
    browser.environ_base["REMOTE_ADDR"] = ip
    browser.environ_base["HTTP_USER_AGENT"] = "Mozilla/5.0 oracle-marker"
    assert Voting(browser).vote(poll_id, option_ids(app, poll_id)[0]).status_code == 200
    reader = Commenting(browser)
    assert reader.post(text=f"Комментарий, отправленный с адреса {ip[:3]}").status_code == 200
    with app.app_context():
        approved = db.session.scalar(sa.select(Comment.id).where(Comment.author_name == "Автор"))
    token = reader.token()
    browser.post(f"/w/comments/{KEY}/-/{approved}/like", data={"token": token})
    browser.get("/api/comments/count", query_string={"key": KEY})
    staff = StaffClient(browser)
    assert staff.login("mod", "wrong password").status_code == 401
    if login:
        assert staff.login("mod").status_code == 303
        with app.app_context():
            pending = db.session.scalar(sa.select(Comment).order_by(Comment.id.desc()).limit(1))
        form = {"by_ip": "1", "days": "1", "revision": str(pending.revision)}
        reply = staff.post(f"/staff/comments/{pending.id}/ban", form)
        assert reply.status_code in (200, 303)


def test_no_raw_ip_is_stored_in_any_table_redis_or_log(app: Flask, caplog) -> None:
    poll_id = make_poll(app)
    thread_id = make_thread(app)
    make_comment(app, thread=thread_id, author_name="Автор")
    make_staff(app, "mod", Role.MODERATOR)
    with caplog.at_level(logging.INFO):
        act_from(app, IPV4, poll_id, login=True)
        act_from(app, IPV6, make_poll(app), login=False)
        drain_queue(app)
    needles = (IPV4, IPV6, "203.0.113.", "2001:db8:85a3")
    assert cells_containing(app, needles) == []
    assert redis_entries_containing(app, needles) == []
    logged = [json.dumps(r.__dict__, default=str) for r in caplog.records]
    assert len(logged) > 10
    assert [line for line in logged if any(n in line for n in needles)] == []
    # The oracle works: a cell holding the address would have been found.
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Comment.ip_hash))) >= 2
    assert cells_containing(app, ("oracle-marker",)) != []


def test_staff_passwords_are_stored_as_salted_scrypt_hashes(app: Flask) -> None:
    make_staff(app, "one", Role.MODERATOR)
    make_staff(app, "two", Role.ADMIN)
    with app.app_context():
        hashes = list(db.session.scalars(sa.select(StaffUser.password_hash)))
    assert len(hashes) == 2 and hashes[0] != hashes[1]  # salted
    for value in hashes:
        assert value.startswith("scrypt:")
        assert PASSWORD not in value
    assert cells_containing(app, (PASSWORD,)) == []


def test_production_refuses_the_default_secret_key(monkeypatch, redis_url) -> None:
    monkeypatch.setenv("PRODUCTION", "1")
    monkeypatch.setenv("REDIS_URL", redis_url)
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app()
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app({"SECRET_KEY": DEFAULTS["SECRET_KEY"]})
