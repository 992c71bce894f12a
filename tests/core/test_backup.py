"""The backup and restore of docs/operations.md, run for real (PostgreSQL runs only)."""

from __future__ import annotations

import shutil
import subprocess

import pytest
import sqlalchemy as sa

from polls_site import create_app
from polls_site.core.db import db
from polls_site.demo.seed import seed_demo
from tests.support.app import app_config, empty_tables


def _libpq_url(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


def _counts(app) -> dict[str, int]:
    with app.app_context():
        counts = {
            table.name: db.session.scalar(sa.select(sa.func.count()).select_from(table))
            for table in db.metadata.sorted_tables
        }
        db.session.remove()
    return counts


def test_dump_restores_into_an_empty_database(
    app, database_url, empty_database_url, redis_url, redis_prefix, tmp_path
) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("pg_dump / pg_restore back up PostgreSQL; SQLite is a file copy")
    if not shutil.which("pg_dump"):
        pytest.fail("pg_dump is not installed")
    with app.app_context():
        seed_demo()
        db.session.remove()
    dump = tmp_path / "polls.dump"
    subprocess.run(
        ["pg_dump", "--format=custom", f"--file={dump}", _libpq_url(database_url)],
        check=True,
        timeout=120,
    )
    subprocess.run(
        [
            "pg_restore",
            "--clean",
            "--if-exists",
            "--no-owner",
            f"--dbname={_libpq_url(empty_database_url)}",
            str(dump),
        ],
        check=True,
        timeout=120,
    )
    restored = create_app(app_config(empty_database_url, redis_url, f"{redis_prefix}-restore:"))
    try:
        assert _counts(restored) == _counts(app)
        assert _counts(restored)["ballots"] == 1492 + 997 + 648
        client = restored.test_client()
        # Ids depend on the tests before this one (PostgreSQL sequences never go back).
        portal = client.get("/api/polls/current?section=main").get_json()["id"]
        results = client.get(f"/api/polls/{portal}/results").get_json()
        assert [o["percent"] for o in results["options"]] == [31, 23, 13, 12, 12, 9]
    finally:
        empty_tables(restored)
