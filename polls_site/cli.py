"""Flask commands: init-db, seed-demo, demo (server + workers for a try-out), create-staff,
reset-password;
and ``polls-site``, the installed command that runs them (Flask's CLI bound to this app)."""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, with_appcontext
from flask_migrate import upgrade

from . import create_app
from .core.metrics_files import remove_dead_process_files
from .demo.seed import seed_demo
from .staff.commands import create_staff_command, demo_accounts, reset_password_command
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
    localhost, so the widgets run as third-party iframes, as on the real portal.
    """
    upgrade()
    seed_demo()
    accounts = demo_accounts()
    remove_dead_process_files(os.environ["PROMETHEUS_MULTIPROC_DIR"])
    env = dict(os.environ)
    # The web processes and the worker must share this process's (embedded) Redis; with
    # REDIS_SENTINELS they inherit the Sentinel settings from this environment.
    if current_app.config["REDIS_URL"]:
        env["REDIS_URL"] = current_app.config["REDIS_URL"]
    env["DATABASE_URL"] = current_app.config["DATABASE_URL"]
    widget_origin, portal_origin = demo_origins(host, port)
    allowed = list(current_app.config["EMBED_ALLOWED_ORIGINS"])
    if portal_origin not in allowed:
        allowed.append(portal_origin)
    env["EMBED_ALLOWED_ORIGINS"] = ",".join(allowed)
    # The demo portal signs its comment thread's title and URL (docs/embedding.md) with a
    # secret of this run, unless one is configured for it already.
    signing_keys = dict(current_app.config["EMBED_SIGNING_KEYS"])
    signing_keys.setdefault(portal_origin, (secrets.token_hex(32),))
    env["EMBED_SIGNING_KEYS"] = ",".join(
        f"{origin}={secret}" for origin, values in signing_keys.items() for secret in values
    )
    portal_env = dict(
        env, PORTAL_WIDGET_ORIGIN=widget_origin, PORTAL_SIGNING_KEY=signing_keys[portal_origin][0]
    )
    bin_dir = Path(sys.executable).parent
    children = [
        subprocess.Popen(
            [
                str(bin_dir / "gunicorn"),
                "-w",
                str(web_workers),
                # The worker model of deploy/gunicorn.conf.py (connections kept alive).
                "-k",
                "gthread",
                "--threads",
                "4",
                "-b",
                f"{host}:{port}",
                "--access-logfile",
                "-",
                # The factory, not wsgi.py: the same from a checkout and from a wheel.
                "polls_site:create_app()",
            ],
            env=env,
        ),
        # A worker per queue, as in production: moderation never delays a count.
        subprocess.Popen([str(bin_dir / "polls-site-worker"), "--queue", "counts"], env=env),
        subprocess.Popen(
            [str(bin_dir / "polls-site-worker"), "--queue", "moderation"],
            env=dict(env, WORKER_METRICS_BIND="off"),  # the counts worker serves the host's
        ),
        subprocess.Popen(
            [str(bin_dir / "polls-site-worker"), "--queue", "notifications"],
            env=dict(env, WORKER_METRICS_BIND="off"),
        ),
        subprocess.Popen(
            [
                str(bin_dir / "gunicorn"),
                "-w",
                "1",
                "-b",
                f"{host}:{port + 1}",
                "polls_site.demo.portal:create_portal_app()",
            ],
            env=portal_env,
        ),
    ]
    url = f"http://{host}:{port}/"
    # Stop the same way on SIGTERM as on Ctrl-C, so the embedded Redis is stopped too.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        _wait_until_up(url, children)
        _wait_until_up(portal_origin + "/", children)
        click.secho(
            f"\npolls_site is running: {widget_origin}/  (poll widget: {widget_origin}/w/poll/1, "
            f"comments: {widget_origin}/w/comments/bishkek-astana-dialog)",
            fg="green",
        )
        click.secho(f"Demo portal embedding the widgets: {portal_origin}/", fg="green")
        click.echo(f"Staff area: {widget_origin}/staff/login")
        for username, role, password in accounts:
            click.echo(f"  {role:<10} user {username!r:<12} password {password!r}")
        click.echo("Press Ctrl-C to stop.\n")
        while all(child.poll() is None for child in children):
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        for child in children:
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        for child in children:
            try:
                child.wait(timeout=10)
            except subprocess.TimeoutExpired:
                child.kill()


def demo_origins(host: str, port: int) -> tuple[str, str]:
    """(widget origin, portal origin) for the demo: two sites when serving on loopback."""
    if host in {"127.0.0.1", "0.0.0.0", "localhost"}:
        return f"http://localhost:{port}", f"http://127.0.0.1:{port + 1}"
    return f"http://{host}:{port}", f"http://{host}:{port + 1}"


def _wait_until_up(url: str, children: list[subprocess.Popen], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(child.poll() is not None for child in children):
            raise click.ClickException("a child process exited; see the log above")
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.2)
    raise click.ClickException(f"{url} did not answer within {timeout:.0f} s")


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
