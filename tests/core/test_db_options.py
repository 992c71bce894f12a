"""The database engine's pool options from the environment: parsed, checked, applied."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask import Flask

from polls_site import create_app
from polls_site.config import finish, load_settings
from polls_site.core.db import db
from polls_site.core.db_options import engine_options, setting_bool, setting_number
from tests.support.app import app_config, close_connections, empty_tables
from tests.support.factories import make_poll

PG = "postgresql://u@h/db"


def options(tmp_path, env: dict[str, str], url: str = PG) -> dict:
    config = load_settings(str(tmp_path), {"DATABASE_URL": url, **env})
    finish(config)
    return config["SQLALCHEMY_ENGINE_OPTIONS"]


def test_postgresql_gets_sqlalchemys_pool_and_a_ping_by_default(tmp_path) -> None:
    assert options(tmp_path, {}) == {
        "pool_size": 5,
        "max_overflow": 10,
        "pool_timeout": 30.0,
        "pool_recycle": -1,
        "pool_pre_ping": True,
    }


def test_every_pool_option_comes_from_the_environment(tmp_path) -> None:
    env = {
        "DATABASE_POOL_SIZE": "2",
        "DATABASE_MAX_OVERFLOW": "0",
        "DATABASE_POOL_TIMEOUT": "2.5",
        "DATABASE_POOL_RECYCLE": "1800",
        "DATABASE_POOL_PRE_PING": "off",
        "DATABASE_PGBOUNCER": "1",
    }
    assert options(tmp_path, env) == {
        "pool_size": 2,
        "max_overflow": 0,
        "pool_timeout": 2.5,
        "pool_recycle": 1800,
        "pool_pre_ping": False,
        "connect_args": {"prepare_threshold": None},
    }


def test_sqlite_keeps_its_pool(tmp_path) -> None:
    env = {"DATABASE_POOL_SIZE": "2"}
    assert options(tmp_path, env, url="sqlite:///x.db") == {"connect_args": {"timeout": 30}}


@pytest.mark.parametrize(
    "env, message",
    [
        ({"DATABASE_POOL_SIZE": "0"}, "DATABASE_POOL_SIZE must be at least 1"),
        ({"DATABASE_POOL_SIZE": "five"}, "DATABASE_POOL_SIZE must be a whole number"),
        ({"DATABASE_POOL_SIZE": "2.5"}, "DATABASE_POOL_SIZE must be a whole number"),
        ({"DATABASE_MAX_OVERFLOW": "-1"}, "DATABASE_MAX_OVERFLOW must be at least 0"),
        ({"DATABASE_POOL_TIMEOUT": "soon"}, "DATABASE_POOL_TIMEOUT must be a number"),
        ({"DATABASE_POOL_TIMEOUT": "nan"}, "DATABASE_POOL_TIMEOUT must be at least 0"),
        ({"DATABASE_POOL_RECYCLE": "0"}, "DATABASE_POOL_RECYCLE must be -1"),
        ({"DATABASE_POOL_RECYCLE": "-5"}, "DATABASE_POOL_RECYCLE must be at least -1"),
        ({"DATABASE_POOL_PRE_PING": "sometimes"}, "DATABASE_POOL_PRE_PING must be 1 or 0"),
        ({"DATABASE_PGBOUNCER": "transaction"}, "DATABASE_PGBOUNCER must be 1 or 0"),
    ],
)
def test_a_bad_value_stops_start_up_with_its_name(tmp_path, env, message) -> None:
    for url in (PG, "sqlite:///x.db"):
        with pytest.raises(ValueError, match=message):
            options(tmp_path, env, url=url)


def test_pgbouncer_on_sqlite_is_a_mistake(tmp_path) -> None:
    with pytest.raises(ValueError, match="DATABASE_URL is not PostgreSQL"):
        options(tmp_path, {"DATABASE_PGBOUNCER": "yes"}, url="sqlite:///x.db")


def test_values_given_as_python_values_are_taken_as_they_are() -> None:
    assert setting_bool("X", True) is True
    assert setting_bool("X", " Off ") is False
    assert setting_number("X", 3, least=1) == 3
    settings = {
        "DATABASE_POOL_SIZE": 3,
        "DATABASE_MAX_OVERFLOW": 1,
        "DATABASE_POOL_TIMEOUT": 1,
        "DATABASE_POOL_RECYCLE": 60,
        "DATABASE_POOL_PRE_PING": False,
        "DATABASE_PGBOUNCER": False,
    }
    assert engine_options(PG, settings)["pool_size"] == 3


@pytest.fixture
def one_connection_app(database_url, redis_url, redis_prefix, _schema):
    """The app with a pool of one connection that it waits for a tenth of a second."""
    if database_url.startswith("sqlite"):
        pytest.skip("the pool options apply to PostgreSQL")
    config = app_config(
        database_url,
        redis_url,
        f"{redis_prefix}-pool1:",
        DATABASE_POOL_SIZE="1",
        DATABASE_MAX_OVERFLOW="0",
        DATABASE_POOL_TIMEOUT="0.1",
    )
    app = create_app(config)
    yield app
    empty_tables(app)


def test_a_request_that_finds_no_free_connection_is_a_clear_503(one_connection_app: Flask):
    app = one_connection_app
    poll_id = make_poll(app)
    client = app.test_client()
    with app.app_context():
        assert db.engine.pool.size() == 1
        with db.engine.connect() as held:
            held.execute(sa.text("SELECT 1"))
            reply = client.get(f"/w/poll/{poll_id}")
    assert reply.status_code == 503
    assert "Сервис временно недоступен" in reply.get_data(as_text=True)
    assert client.get(f"/w/poll/{poll_id}").status_code == 200


def test_through_pgbouncer_in_transaction_pooling_a_repeated_statement_works(
    pgbouncer, database_url, redis_url, redis_prefix, _schema
) -> None:
    # psycopg prepares a statement on its sixth run; PgBouncer then hands the next
    # transaction to another server connection, which does not know it.
    url = pgbouncer.through(database_url)
    app = create_app(app_config(url, redis_url, f"{redis_prefix}-pgb:", DATABASE_PGBOUNCER="1"))
    statement = sa.text("SELECT count(*) FROM polls WHERE id >= :n")
    try:
        with app.app_context(), db.engine.connect() as first, db.engine.connect() as second:
            for n in range(8):
                first.execute(statement, {"n": n})
                first.commit()
            # The second client takes the server connection the first one used last.
            second.execute(sa.text("SELECT 1"))
            assert first.execute(statement, {"n": 0}).scalar_one() == 0
            first.commit()
            second.commit()
        name = sa.engine.make_url(database_url).database
        (pool,) = [p for p in pgbouncer.show("POOLS") if p["database"] == name]
        assert pool["pool_mode"] == "transaction"
        assert pool["sv_idle"] + pool["sv_used"] + pool["sv_active"] >= 2
    finally:
        close_connections(app)
