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
