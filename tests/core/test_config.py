"""Settings from the environment."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from polls_site import create_app
from polls_site.config import finish, load_settings, parse_limit


def test_parse_limit() -> None:
    assert parse_limit("30/600") == (30, 600)
    for bad in ("30", "a/b", "0/60", "10/0", "1/2/3"):
        with pytest.raises(ValueError):
            parse_limit(bad)


def test_environment_overrides_defaults(tmp_path) -> None:
    settings = load_settings(
        str(tmp_path),
        {
            "VOTE_LIMIT_IP": "5/60",
            "RESULTS_POLL_SECONDS": "7",
            "REDIS_URL": "",
            "LANGUAGES": "ru, en",
        },
    )
    assert settings["LANGUAGES"] == ["ru", "en"]
    assert settings["VOTE_LIMIT_IP"] == "5/60"
    assert settings["RESULTS_POLL_SECONDS"] == 7
    assert settings["REDIS_URL"] is None
    assert settings["DATABASE_URL"] == f"sqlite:///{tmp_path / 'polls_site.sqlite3'}"


def test_postgresql_url_uses_psycopg3(tmp_path) -> None:
    config = load_settings(str(tmp_path), {"DATABASE_URL": "postgresql://u@h/db"})
    finish(config)
    assert config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@h/db"


def test_bad_limit_stops_start_up(tmp_path) -> None:
    config = load_settings(str(tmp_path), {"VOTE_LIMIT_IP_POLL": "many"})
    with pytest.raises(ValueError, match="COUNT/SECONDS"):
        finish(config)


@pytest.mark.parametrize(
    "env, message",
    [
        ({"PRODUCTION": "1", "REDIS_URL": "redis://x"}, "SECRET_KEY"),
        ({"PRODUCTION": "1", "SECRET_KEY": "s3cret"}, "REDIS_URL"),
    ],
)
def test_production_refuses_dev_defaults(tmp_path, env, message) -> None:
    config = load_settings(str(tmp_path), env)
    with pytest.raises(RuntimeError, match=message):
        finish(config)


def test_create_app_uses_test_config(database_url, redis_url) -> None:
    app = create_app({"DATABASE_URL": database_url, "REDIS_URL": redis_url, "TESTING": True})
    assert app.config["REDIS_URL"] == redis_url
    queues = app.extensions["polls_queues"]
    # The counts queue keeps the single queue's name of earlier releases.
    assert queues["counts"].name == "polls:default"
    assert queues["moderation"].name == "polls:default-moderation"


def test_ip_hash_key_rotates_by_period(app) -> None:
    from polls_site.core.clients import ip_hash

    day = 86400
    with app.app_context():
        app.config["IP_HASH_ROTATION_DAYS"] = 30
        same_period = ip_hash("203.0.113.9", now=0), ip_hash("203.0.113.9", now=29 * day)
        next_period = ip_hash("203.0.113.9", now=31 * day)
    assert same_period[0] == same_period[1]
    assert next_period != same_period[0]
    assert "203.0.113.9" not in same_period[0]


def _gunicorn_settings(**environ: str) -> dict[str, str]:
    """deploy/gunicorn.conf.py as gunicorn reads it, with these environment variables."""
    root = Path(__file__).resolve().parents[2]
    env = {k: v for k, v in os.environ.items() if k != "GUNICORN_ACCESS_LOG"}
    env.update(environ)
    printed = subprocess.run(
        [str(Path(sys.executable).parent / "gunicorn"), "--print-config"]
        + ["-c", "deploy/gunicorn.conf.py", "wsgi:app"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    return dict(
        (name.strip(), value.strip())
        for name, _, value in (line.partition("=") for line in printed.splitlines())
    )


def test_production_gunicorn_config_keeps_connections_alive_with_threads() -> None:
    """deploy/gunicorn.conf.py as gunicorn reads it (the live tests run the same model)."""
    settings = _gunicorn_settings(WEB_CONCURRENCY="3", GUNICORN_THREADS="6")
    assert settings["worker_class"] == "gthread"
    assert (settings["workers"], settings["threads"]) == ("3", "6")
    assert int(settings["keepalive"]) > 0
    assert int(settings["graceful_timeout"]) > 0


def test_production_gunicorn_config_logs_no_client_addresses() -> None:
    """No access log by default; one asked for leaves out address, query, Referer, UA."""
    assert _gunicorn_settings()["accesslog"] == "None"
    settings = _gunicorn_settings(GUNICORN_ACCESS_LOG="-")
    assert settings["accesslog"] == "-"
    fields = set(re.findall(r"%\(([^)]+)\)s", settings["access_log_format"]))
    assert fields and not fields & {"h", "q", "r", "f", "a", "u"}
    assert not any(name.startswith("{") for name in fields)  # no header fields either
