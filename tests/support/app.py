"""The app under test: a real Redis (key prefix per test) and a real database (SQLite, or
PostgreSQL through DATABASE_URL, in a database made for this run and dropped after it)."""

from __future__ import annotations

import re
import secrets
import socket
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from flask_migrate import upgrade
from redis import Redis
from redis.exceptions import RedisError
from rq import SimpleWorker
from rq.serializers import JSONSerializer
from werkzeug.routing import AnyConverter, IntegerConverter, Rule

from polls_site import create_app
from polls_site.core.db import db
from polls_site.core.embedded_redis import ensure_embedded_redis
from polls_site.core.jobs import all_queues
from polls_site.core.redis import worker_redis

RUN_ID = secrets.token_hex(4)


def _reachable(url: str) -> bool:
    try:
        return bool(Redis.from_url(url, socket_connect_timeout=0.5).ping())
    except (RedisError, OSError):
        return False


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """TEST_REDIS_URL or REDIS_URL if set, else the local Redis, else an embedded one."""
    import os

    for url in (os.environ.get("TEST_REDIS_URL"), os.environ.get("REDIS_URL")):
        if url:
            return url
    local = "redis://127.0.0.1:6379/0"
    if _reachable(local):
        return local
    return ensure_embedded_redis(str(tmp_path_factory.mktemp("redis")))


@pytest.fixture(scope="session")
def redis_prefix(redis_url: str) -> Iterator[str]:
    """This run's key prefix; every key under it is deleted at the end."""
    prefix = f"test{RUN_ID}"
    yield prefix
    client = Redis.from_url(redis_url)
    for key in client.scan_iter(match=f"*{prefix}*", count=1000):
        client.delete(key)
    # RQ also lists every queue it has seen in one set: forget ours.
    ours = [q for q in client.smembers("rq:queues") if prefix.encode() in q]
    if ours:
        client.srem("rq:queues", *ours)
    client.close()


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    """A database for this run: a fresh PostgreSQL database or a temporary SQLite file."""
    import os

    base = os.environ.get("DATABASE_URL")
    if not base:
        folder = tempfile.mkdtemp(prefix="polls-test-")
        yield f"sqlite:///{Path(folder) / 'test.sqlite3'}"
        return
    base = re.sub(r"^postgresql://", "postgresql+psycopg://", base)
    name = f"polls_test_{RUN_ID}"
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = sa.engine.make_url(base).set(database=name).render_as_string(hide_password=False)
    yield url
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def _schema(database_url: str, redis_url: str, redis_prefix: str) -> None:
    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            "REDIS_KEY_PREFIX": f"{redis_prefix}-schema:",
        }
    )
    with app.app_context():
        upgrade()  # the suite runs on the schema the migrations build
        db.engine.dispose()


def app_config(database_url: str, redis_url: str, prefix: str, **extra: object) -> dict:
    """The test configuration; also what a live gunicorn gets as environment variables."""
    config = {
        "TESTING": True,
        "SECRET_KEY": f"test-secret-{RUN_ID}",
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "REDIS_KEY_PREFIX": prefix,
        "RESULTS_POLL_SECONDS": 1,
        # Tests change polls and versions behind the app's back: no per-process reuse.
        "NEAR_CACHE_SECONDS": 0,
        "RESERVED_NAMES_CACHE_SECONDS": 0,
        # Test runs share the machine: a live worker serves no metrics port unless asked.
        "WORKER_METRICS_BIND": "off",
        # The lowest cost allowed, for speed; tests/staff/test_passwords.py checks the default.
        "PASSWORD_HASH_COST": 14,
    }
    config.update(extra)
    return config


@pytest.fixture
def app(database_url: str, redis_url: str, redis_prefix: str, _schema: None) -> Iterator[Flask]:
    """A fresh app whose Redis keys live under a prefix of their own and whose tables are empty."""
    prefix = f"{redis_prefix}-{secrets.token_hex(3)}:"
    app = create_app(app_config(database_url, redis_url, prefix))
    yield app
    empty_tables(app)


def close_connections(app: Flask) -> None:
    """Close an extra app's database pool and Redis client (its rows are someone else's)."""
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    app.extensions["polls_redis"].close()


def empty_tables(app: Flask) -> None:
    """Delete every row the test wrote and close the app's connections."""
    with app.app_context():
        db.session.remove()
        with db.engine.begin() as conn:
            for table in reversed(db.metadata.sorted_tables):
                conn.execute(table.delete())
        db.engine.dispose()
    app.extensions["polls_redis"].close()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """A test client for ``app``."""
    return app.test_client()


@pytest.fixture
def runner(app: Flask):
    """A CLI runner for ``app``."""
    return app.test_cli_runner()


def drain_queue(app: Flask, with_scheduler: bool = False) -> None:
    """Run every queued job with a real RQ worker (in-process, burst) against real Redis.

    ``with_scheduler`` first moves scheduled jobs that are due onto the queue.
    """
    with app.app_context():
        connection = worker_redis(app.config)
        names = [queue.name for queue in all_queues(app)]
        worker = SimpleWorker(names, connection=connection, serializer=JSONSerializer)
        worker.work(burst=True, with_scheduler=with_scheduler)
        connection.close()


def _dead_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def app_without_redis(database_url, redis_prefix, _schema):
    app = create_app(
        app_config(database_url, f"redis://127.0.0.1:{_dead_port()}/0", f"{redis_prefix}-down:")
    )
    yield app
    empty_tables(app)


@pytest.fixture
def empty_database_url(database_url: str, tmp_path) -> Iterator[str]:
    """A database of its own, empty: a file for SQLite, a new database for PostgreSQL."""
    if database_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'migrations.sqlite3'}"
        return
    url = sa.engine.make_url(database_url)
    name = f"{url.database}_mig{secrets.token_hex(2)}"
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    yield url.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def sample_url(app: Flask, rule: Rule) -> str:
    """A URL that matches ``rule``, with made-up arguments."""
    values = {}
    for name, converter in rule._converters.items():
        if isinstance(converter, IntegerConverter):
            values[name] = 1
        elif isinstance(converter, AnyConverter):
            values[name] = sorted(converter.items)[0]
        else:
            values[name] = "x"
    with app.test_request_context():
        return rule.build(values)[1]
