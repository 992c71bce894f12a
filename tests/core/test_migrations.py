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
