"""Extension objects and the Redis / RQ handles every part of the app shares."""

from __future__ import annotations

from pathlib import Path

from flask import Flask, Request, current_app
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from flask_babel import Babel
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from redis import Redis
from redis.backoff import ExponentialBackoff
from redis.retry import Retry
from rq import Queue
from rq.serializers import JSONSerializer
from sqlalchemy import event
from sqlalchemy.orm import DeclarativeBase

from .redis_breaker import CircuitBreaker, connection_class


class LazySessionInterface(SecureCookieSessionInterface):
    """Flask's cookie session, without building its signer for requests that carry none.

    Widget readers never have a session cookie; only the staff area uses one.
    """

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        """An empty session when there is no cookie, else Flask's usual one."""
        if self.get_cookie_name(app) not in request.cookies:
            return self.session_class()
        return super().open_session(app, request)


class Base(DeclarativeBase):
    """Declarative base for all models."""


# Objects stay usable after commit: a vote renders from the poll it already loaded
# instead of reloading the poll and its options.
db = SQLAlchemy(model_class=Base, session_options={"expire_on_commit": False})
csrf = CSRFProtect()
migrate = Migrate()
babel = Babel()


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


MIGRATIONS = str(Path(__file__).resolve().parent / "migrations")


def _render_item(type_: str, obj: object, autogen_context: object) -> str | bool:
    # Migrations spell our UTC-aware column type as the plain type it stores.
    from .models import UTCDateTime

    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def init_db(app: Flask) -> None:
    """Bind SQLAlchemy and the Alembic migrations to the app; tune SQLite connections."""
    db.init_app(app)
    # SQLite cannot ALTER most things: batch mode copies the table instead.
    migrate.init_app(app, db, directory=MIGRATIONS, render_as_batch=True, render_item=_render_item)
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            event.listen(db.engine, "connect", _sqlite_pragmas)


def request_redis(url: str, breaker_seconds: float = 2.0) -> Redis:
    """A client for the request path: it gives up within a second when Redis is down.

    redis-py's defaults retry with backoff for about three seconds, which would hang
    every widget while Redis restarts; a vote must rather go on without Redis. After a
    failed connect or a timeout the process skips Redis for ``breaker_seconds``, so a
    black-holed Redis costs one timeout per cool-down instead of several per request.
    """
    breaker = CircuitBreaker(breaker_seconds)
    client = Redis.from_url(
        url,
        socket_connect_timeout=0.25,
        socket_timeout=0.5,
        retry=Retry(ExponentialBackoff(cap=0.1, base=0.01), 1),
        health_check_interval=30,
        connection_class=connection_class(breaker, url),
    )
    client.breaker = breaker  # type: ignore[attr-defined]
    return client


def init_redis(app: Flask) -> None:
    """Create the request-path Redis client and the RQ queue for this app."""
    client = request_redis(app.config["REDIS_URL"], app.config["REDIS_BREAKER_SECONDS"])
    app.extensions["polls_redis"] = client
    app.extensions["polls_queue"] = Queue(
        queue_name(app), connection=client, serializer=JSONSerializer
    )


def queue_name(app: Flask) -> str:
    """The RQ queue name, prefixed so that test runs and sites sharing a Redis stay apart."""
    return app.config["REDIS_KEY_PREFIX"] + app.config["RQ_QUEUE"]


def redis_client() -> Redis:
    """The current app's request-path Redis client."""
    return current_app.extensions["polls_redis"]


def task_queue() -> Queue:
    """The current app's RQ queue."""
    return current_app.extensions["polls_queue"]


def rkey(*parts: object) -> str:
    """A Redis key under this app's prefix, e.g. rkey("poll", 7, "v") -> "polls:poll:7:v"."""
    return current_app.config["REDIS_KEY_PREFIX"] + ":".join(str(p) for p in parts)


def lua_script(source: str):
    """A registered Redis script on the current app's client (EVALSHA, EVAL after a restart)."""
    scripts = current_app.extensions.setdefault("polls_scripts", {})
    if source not in scripts:
        scripts[source] = redis_client().register_script(source)
    return scripts[source]
