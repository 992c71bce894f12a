"""Flask commands: init-db, seed-demo, demo (server + workers for a try-out), create-staff,
reset-password;
and ``polls-site``, the installed command that runs them (Flask's CLI bound to this app)."""

from __future__ import annotations

import os

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, with_appcontext
from flask_migrate import upgrade

from . import create_app
from .demo.run import run_demo
from .demo.seed import seed_demo
from .staff.commands import create_staff_command, reset_password_command
from .worker.run import main as run_worker


@click.command("init-db")
@with_appcontext
def init_db_command() -> None:
    """Bring the database to the current schema (Alembic: upgrade to head)."""
    upgrade()
    click.echo("database ready")


@click.command("seed-demo")
@with_appcontext
def seed_demo_command() -> None:
    """Load the portal's poll and two closed polls (safe to run twice)."""
    upgrade()
    created = seed_demo()
    click.echo(f"demo data ready ({len(created)} polls created)")


@click.command("demo")
@with_appcontext
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True)
@click.option("--web-workers", default=2, show_default=True)
def demo_command(host: str, port: int, web_workers: int) -> None:
    """Seed the database, then run gunicorn, a worker per queue and the demo portal until Ctrl-C.

    The portal (PORT+1) and the widgets (PORT) are on different sites, 127.0.0.1 and
    localhost, so the widgets run as third-party iframes, as on the real portal. The
    console stays calm (text logs, no access log); SIGUSR1 prints the banner again.
    """
    run_demo(current_app, host, port, web_workers)


def init_cli(app: Flask) -> None:
    """Register the commands on the app."""
    commands = (
        init_db_command,
        seed_demo_command,
        demo_command,
        create_staff_command,
        reset_password_command,
    )
    for command in commands:
        app.cli.add_command(command)


def main() -> None:
    """``polls-site``: ``flask --app polls_site`` under its own name (``polls-site db upgrade``,
    ``polls-site demo``, ``polls-site create-staff`` …), for installs without a checkout."""
    os.environ.setdefault("FLASK_APP", "polls_site")
    FlaskGroup(name="polls-site")()


def worker_main() -> int:
    """``polls-site-worker``: the RQ worker process (``--burst`` drains the queue and exits)."""
    return run_worker(create_app)
