"""The SQLAlchemy handle every part of the app shares, how SQLite connections are tuned,
and how a request's session ends when its connection died under it."""

from __future__ import annotations

import contextlib
import logging

from flask import Flask
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import event
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import DeclarativeBase

log = logging.getLogger(__name__)


class Base(DeclarativeBase):
    """Declarative base for all models."""


# Objects stay usable after commit: a vote renders from the poll it already loaded
# instead of reloading the poll and its options.
db = SQLAlchemy(model_class=Base, session_options={"expire_on_commit": False})


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    # WAL lets readers run beside the single writer; NORMAL is durable across
    # application crashes (only an OS crash can lose the last transactions).
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()
    # SQLite's own lower() folds ASCII only, so case-insensitive search (icontains) missed
    # "ПРИВЕТ" for "привет". No index or constraint uses lower(), so replacing it is safe.
    dbapi_connection.create_function("lower", 1, _unicode_lower, deterministic=True)


def _unicode_lower(value: object) -> object:
    return value.lower() if isinstance(value, str) else value


def remove_session(_exc: BaseException | None = None) -> None:
    """End the context's session; a connection the server (or PgBouncer) cut is dropped.

    Closing rolls back the open transaction, and on a connection cut by a restart that
    ROLLBACK fails: raised from the teardown, it turned the request's finished answer (a
    clear 503) into gunicorn's bare 500. The server has rolled back already.
    """
    try:
        db.session.remove()
    except SQLAlchemyError as exc:
        log.warning("database connection lost at the end of a request: %s", exc)
        with contextlib.suppress(SQLAlchemyError):
            db.session().invalidate()
        db.session.registry.clear()


def init_db(app: Flask) -> None:
    """Bind SQLAlchemy to the app; tune SQLite connections; end sessions safely."""
    db.init_app(app)
    # Teardown functions run last registered first: this one ends the session before
    # Flask-SQLAlchemy's own, which then finds none.
    app.teardown_appcontext(remove_session)
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            event.listen(db.engine, "connect", _sqlite_pragmas)
