"""The database unavailable: a clear 503 in the widget (a fragment for htmx), never a 500
or a traceback; a failure in the middle of a write leaves no half-written row; the app
recovers by itself when the database is back."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from flask import Flask
from sqlalchemy import event
from sqlalchemy.exc import OperationalError

from polls_site import create_app
from polls_site.core.db import db
from polls_site.models import Ballot, BallotChoice, Comment, Thread
from polls_site.widget.voters import NEW_VOTER, VOTER_HEADER, make_form_token
from tests.support.app import app_config, empty_tables
from tests.support.comments import Commenting
from tests.support.factories import KEY, make_comment, make_poll, make_thread, option_ids
from tests.support.live import free_port
from tests.support.polls import Voting

UNAVAILABLE = "Сервис временно недоступен"
# What the widget script sends for a reader with empty storage (docs/identity.md).
HTMX = {"HX-Request": "true", VOTER_HEADER: NEW_VOTER}


@pytest.fixture
def app_without_database(database_url, redis_url, redis_prefix, tmp_path) -> Iterator[Flask]:
    """The app pointed at a database that is not there (a stopped server, a missing file)."""
    if database_url.startswith("sqlite"):
        url = f"sqlite:///{tmp_path / 'missing-dir' / 'db.sqlite3'}"
    else:
        url = f"postgresql://postgres@127.0.0.1:{free_port()}/gone"
    app = create_app(app_config(url, redis_url, f"{redis_prefix}-nodb:"))
    yield app
    app.extensions["polls_redis"].close()


def test_every_widget_request_is_a_clear_503(app_without_database: Flask) -> None:
    app = app_without_database
    client = app.test_client()
    with app.test_request_context():
        token = make_form_token("vote", 1)
    requests = [
        ("GET", "/w/poll/1", {}),
        ("GET", "/w/poll/1/results", {}),
        ("POST", "/w/poll/1/vote", {"token": token, "option": "1"}),
        ("GET", f"/w/comments/{KEY}", {}),
        ("GET", f"/w/comments/{KEY}/-/updates?v=0", {}),
        ("POST", f"/w/comments/{KEY}", {"token": "x", "name": "А", "text": "Текст"}),
        ("GET", "/api/comments/count?key=a", {}),
        ("GET", "/api/polls", {}),
        ("GET", "/w/comments/-/feed.atom", {}),
    ]
    for method, url, data in requests:
        for headers in ({}, HTMX):
            reply = client.open(url, method=method, data=data or None, headers=headers)
            body = reply.get_data(as_text=True)
            assert reply.status_code == 503, (method, url, reply.status_code, body[:200])
            assert "Traceback" not in body and "OperationalError" not in body
            if reply.mimetype == "text/html" and not url.startswith("/api"):
                assert UNAVAILABLE in body, (url, body[:300])
                assert body.lstrip().startswith("<div") == bool(headers), url
            assert reply.headers["Cache-Control"] == "no-store"


@contextlib.contextmanager
def failing(app: Flask, statement_start: str, anywhere: bool = False) -> Iterator[list[str]]:
    """Make the database fail every statement that starts with ``statement_start`` (or,
    with ``anywhere``, holds it: a statement with a data-modifying CTE starts with WITH)."""
    seen: list[str] = []

    def fail(conn, cursor, statement, parameters, context, executemany):
        text = statement.lstrip().upper()
        if text.startswith(statement_start) or (anywhere and statement_start in text):
            seen.append(statement)
            raise OperationalError(statement, parameters, Exception("server closed the connection"))

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", fail)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", fail)


def count(app: Flask, model) -> int:
    with app.app_context():
        value = db.session.scalar(sa.select(sa.func.count()).select_from(model))
        db.session.remove()
    return value


def test_a_vote_cut_off_between_its_two_inserts_leaves_nothing_and_can_be_repeated(
    app: Flask,
) -> None:
    # On SQLite the ballot row is already written when the choices' INSERT fails; on
    # PostgreSQL both are one statement, which fails as a whole.
    poll_id = make_poll(app)
    option = option_ids(app, poll_id)[0]
    reader = Voting(app.test_client())
    with failing(app, "INSERT INTO BALLOT_CHOICES", anywhere=True) as seen:
        reply = reader.vote(poll_id, option)
    assert seen, "the fault was not injected"
    assert reply.status_code == 503
    assert "Голос не сохранён: сервис перегружен" in reply.get_data(as_text=True)
    assert (count(app, Ballot), count(app, BallotChoice)) == (0, 0)
    # The dedupe key was given back: the same reader votes once the database is back.
    assert reader.vote(poll_id, option).status_code == 200
    assert (count(app, Ballot), count(app, BallotChoice)) == (1, 1)


def test_a_comment_that_cannot_be_stored_leaves_nothing(app: Flask) -> None:
    make_thread(app)
    reader = Commenting(app.test_client())
    token = reader.token()
    with failing(app, "INSERT INTO COMMENTS") as seen:
        reply = reader.post(token=token, text="Этот текст не дойдёт до базы данных.")
    assert seen
    assert reply.status_code == 503
    assert "Этот текст не дойдёт до базы данных." in reply.get_data(as_text=True)  # kept
    assert count(app, Comment) == 0
    assert reader.post(token=token).status_code == 200
    assert count(app, Comment) == 1


def test_a_decision_cut_off_before_the_thread_count_changes_nothing(app: Flask) -> None:
    from polls_site.comments.jobs import moderate_comment
    from polls_site.models import CommentStatus

    thread_id = make_thread(app)
    comment_id = make_comment(app, thread=thread_id, status=CommentStatus.PENDING)
    with failing(app, "UPDATE THREADS") as seen, app.app_context():
        with pytest.raises(OperationalError):
            moderate_comment(comment_id)
    assert seen
    with app.app_context():
        comment = db.session.get(Comment, comment_id)
        thread = db.session.get(Thread, thread_id)
        assert (comment.status, comment.revision, thread.comment_count) == ("pending", 1, 0)
        db.session.remove()
        # RQ retries the job: the second run decides it, once.
        assert moderate_comment(comment_id) == "approved"
        assert db.session.get(Thread, thread_id).comment_count == 1


def test_postgresql_connections_killed_under_the_app_are_replaced(app: Flask) -> None:
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("pg_terminate_backend is PostgreSQL's")
    poll_id = make_poll(app)
    option = option_ids(app, poll_id)[0]
    assert Voting(app.test_client()).vote(poll_id, option).status_code == 200
    admin = sa.create_engine(app.config["SQLALCHEMY_DATABASE_URI"], isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        killed = conn.scalar(
            sa.text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        )
    admin.dispose()
    assert killed >= 1
    # The pool's pre-ping notices the dead connections: the next vote just works.
    assert Voting(app.test_client()).vote(poll_id, option).status_code == 200
    assert count(app, Ballot) == 2


def test_the_app_works_again_once_the_database_is_back(
    database_url, redis_url, redis_prefix, _schema
) -> None:
    app = create_app(app_config(database_url, redis_url, f"{redis_prefix}-back:"))
    try:
        poll_id = make_poll(app)
        client = app.test_client()
        with failing(app, "SELECT"):
            assert client.get(f"/w/poll/{poll_id}").status_code == 503
        assert client.get(f"/w/poll/{poll_id}").status_code == 200
    finally:
        empty_tables(app)


def test_a_session_whose_connection_was_cut_ends_without_an_error(app: Flask, caplog) -> None:
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("pg_terminate_backend is PostgreSQL's")
    admin = sa.create_engine(app.config["SQLALCHEMY_DATABASE_URI"], isolation_level="AUTOCOMMIT")
    # A request read in a transaction, then the server restarted under it: the ROLLBACK
    # of the teardown cannot reach it.
    with app.app_context():
        pid = db.session.scalar(sa.text("SELECT pg_backend_pid()"))
        with admin.connect() as conn:
            assert conn.scalar(sa.text(f"SELECT pg_terminate_backend({pid})"))
    admin.dispose()
    assert "database connection lost at the end of a request" in caplog.text
    # The pool replaced the dead connection: the next request just works.
    poll_id = make_poll(app)
    assert Voting(app.test_client()).vote(poll_id, option_ids(app, poll_id)[0]).status_code == 200
