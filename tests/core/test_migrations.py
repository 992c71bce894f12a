"""Alembic migrations: they build exactly the models' schema, and go down and up again."""

from __future__ import annotations

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from polls_site import create_app
from polls_site.core.db import db
from polls_site.demo.seed import seed_demo
from polls_site.models import Ballot
from tests.support.app import app_config


def test_models_and_migrations_agree(app) -> None:
    with app.app_context(), db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(context, db.metadata) == []


def test_upgrade_downgrade_upgrade_with_demo_data(empty_database_url, redis_url, redis_prefix):
    app = create_app(app_config(empty_database_url, redis_url, f"{redis_prefix}-mig:"))
    with app.app_context():
        upgrade()
        seed_demo()
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Ballot)) > 1492
        db.session.remove()
        downgrade(revision="base")
        assert sa.inspect(db.engine).get_table_names() == ["alembic_version"]
        upgrade()
        seed_demo()
        counted = db.session.scalar(sa.select(sa.func.count()).select_from(Ballot))
        assert counted == 1492 + 997 + 648
        db.session.remove()
        db.engine.dispose()
    app.extensions["polls_redis"].close()


def test_by_admin_is_backfilled_from_the_audit_log(empty_database_url, redis_url, redis_prefix):
    app = create_app(app_config(empty_database_url, redis_url, f"{redis_prefix}-mig2:"))
    now = "2026-12-01 10:00:00"
    with app.app_context():
        upgrade(revision="25997cde6983")
        insert = [
            "INSERT INTO staff_users (id, username, password_hash, role, active, created_at)"
            f" VALUES (1, 'boss', 'x', 'admin', TRUE, '{now}'),"
            f" (2, 'mod', 'x', 'moderator', TRUE, '{now}')",
            "INSERT INTO moderation_words (id, kind, pattern, created_at)"
            f" VALUES (10, 'allowed', 'ху*', '{now}'), (11, 'allowed', 'кот', '{now}')",
            "INSERT INTO audit_log (at, staff_id, staff_name, action, target_type, target_id)"
            f" VALUES ('{now}', 1, 'boss', 'word.add', 'word', '10'),"
            f" ('{now}', 2, 'mod', 'word.add', 'word', '11')",
        ]
        with db.engine.begin() as conn:
            for statement in insert:
                conn.execute(sa.text(statement))
        upgrade()
        with db.engine.connect() as conn:
            rows = conn.execute(sa.text("SELECT id, by_admin FROM moderation_words ORDER BY id"))
            assert [(i, bool(b)) for i, b in rows] == [(10, True), (11, False)]
        downgrade(revision="base")
        db.engine.dispose()
    app.extensions["polls_redis"].close()


def test_staff_voice_keeps_replies_likes_and_reports(empty_database_url, redis_url, redis_prefix):
    """SQLite copies the comments table to add its constraints: the rows pointing at it
    (a reply, a like, a report) must come through, both ways."""
    app = create_app(app_config(empty_database_url, redis_url, f"{redis_prefix}-mig3:"))
    now = "2026-12-01 10:00:00"
    columns = "thread_id, author_name, text, html, status, voter_key, score, reasons, likes"
    columns += ", created_at, revision"
    values = f"1, 'А', 'т', 'т', 'approved', 'c:1', 0, '[]', 1, '{now}', 0"
    with app.app_context():
        upgrade(revision="a4c81e2f9b35")
        insert = [
            "INSERT INTO threads (id, key, title, url, premoderated, keep_open,"
            f" slow_mode_minutes, comment_count, created_at) VALUES (1, 'k', '', '', FALSE,"
            f" FALSE, 0, 2, '{now}')",
            f"INSERT INTO comments (id, {columns}) VALUES (1, {values})",
            f"INSERT INTO comments (id, parent_id, {columns}) VALUES (2, 1, {values})",
            "INSERT INTO comment_likes (comment_id, voter_key, created_at)"
            f" VALUES (1, 'c:2', '{now}')",
            "INSERT INTO comment_reports (comment_id, voter_key, network, reason, text,"
            f" created_at) VALUES (1, 'c:3', 'n', 'spam', '', '{now}')",
        ]
        with db.engine.begin() as conn:
            for statement in insert:
                conn.execute(sa.text(statement))

        def counts() -> tuple[int, int, int]:
            with db.engine.connect() as conn:
                return tuple(
                    conn.scalar(sa.text(f"SELECT COUNT(*) FROM {table}"))
                    for table in ("comments", "comment_likes", "comment_reports")
                )

        upgrade()
        assert counts() == (2, 1, 1)
        downgrade(revision="a4c81e2f9b35")
        assert counts() == (2, 1, 1)
        downgrade(revision="base")
        db.engine.dispose()
    app.extensions["polls_redis"].close()
