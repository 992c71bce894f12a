"""The one Alembic history of every model, bound to the app through Flask-Migrate."""

from __future__ import annotations

from pathlib import Path

from flask import Flask
from flask_migrate import Migrate

from ..core.db import db
from .base import UTCDateTime

migrate = Migrate()

MIGRATIONS = str(Path(__file__).resolve().parent.parent / "migrations")


def _render_item(type_: str, obj: object, autogen_context: object) -> str | bool:
    # Migrations spell our UTC-aware column type as the plain type it stores.
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def init_migrations(app: Flask) -> None:
    """Bind the Alembic migrations to the app."""
    # SQLite cannot ALTER most things: batch mode copies the table instead.
    migrate.init_app(app, db, directory=MIGRATIONS, render_as_batch=True, render_item=_render_item)
