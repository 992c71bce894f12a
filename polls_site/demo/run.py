"""``flask demo``: the try-out launcher (gunicorn, a worker per queue, the demo portal) and
its calm console.

The console is for a person, not a log shipper: text log lines, no line per request
(neither gunicorn's access log nor ours), RQ's per-job chatter left out, no gunicorn
control socket (two gunicorn masters would share ``~/.gunicorn/gunicorn.ctl``). The
banner with the addresses and demo accounts is written to ``instance/demo.txt`` and
printed again on SIGUSR1 (``kill -USR1 <pid>``, the pid is in the banner).
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from pathlib import Path

import click
from flask import Flask
from flask_migrate import upgrade

from ..core.logs import use_text_logs
from ..core.metrics_files import remove_dead_process_files
from ..staff.commands import demo_accounts
from .seed import seed_demo

# What the children of the launcher log, unless the environment says otherwise.
CONSOLE_ENV = {
    "LOG_FORMAT": "text",
    "LOG_REQUESTS": "false",
    # RQ logs three lines per job, and the ticker queues jobs every few seconds.
    "WORKER_LOG_LEVEL": "WARNING",
}
BANNER_FILE = "demo.txt"


def console_env(environ: Mapping[str, str]) -> dict[str, str]:
    """``environ`` with the calm console's settings where it sets none of its own."""
    return {**CONSOLE_ENV, **environ}


def no_control_socket() -> list[str]:
    """gunicorn's flag that turns its control socket off, where this gunicorn has one
    (23.x has none: nothing to turn off)."""
    from gunicorn.config import KNOWN_SETTINGS

    return [s.cli[0] for s in KNOWN_SETTINGS if s.name == "control_socket_disable"]


def demo_origins(host: str, port: int) -> tuple[str, str]:
    """(widget origin, portal origin) for the demo: two sites when serving on loopback."""
    if host in {"127.0.0.1", "0.0.0.0", "localhost"}:
        return f"http://localhost:{port}", f"http://127.0.0.1:{port + 1}"
    return f"http://{host}:{port}", f"http://{host}:{port + 1}"


def banner(
    widget_origin: str, portal_origin: str, accounts: list[tuple[str, str, str]], pid: int
) -> str:
    """The lines a person needs to try the demo: where it runs, the staff accounts."""
    lines = [
        f"polls_site is running: {widget_origin}/  (poll widget: {widget_origin}/w/poll/1, "
        f"comments: {widget_origin}/w/comments/bishkek-astana-dialog)",
        f"Demo portal embedding the widgets: {portal_origin}/",
        f"Staff area: {widget_origin}/staff/login",
        *(
            f"  {role:<10} user {username!r:<12} password {password!r}"
            for username, role, password in accounts
        ),
        f"This text again: kill -USR1 {pid}, or read instance/{BANNER_FILE}. Press Ctrl-C to stop.",
    ]
    return "\n".join(lines)


def run_demo(app: Flask, host: str, port: int, web_workers: int) -> None:
    """Seed the database, then run the demo's processes until Ctrl-C or SIGTERM."""
    use_text_logs()
    upgrade()
    seed_demo()
    accounts = demo_accounts()
    remove_dead_process_files(os.environ["PROMETHEUS_MULTIPROC_DIR"])
    env = console_env(os.environ)
    # The web processes and the worker must share this process's (embedded) Redis.
    # With REDIS_SENTINELS the children inherit the Sentinel settings from this environment.
    if app.config["REDIS_URL"]:
        env["REDIS_URL"] = app.config["REDIS_URL"]
    env["DATABASE_URL"] = app.config["DATABASE_URL"]
    widget_origin, portal_origin = demo_origins(host, port)
    allowed = list(app.config["EMBED_ALLOWED_ORIGINS"])
    if portal_origin not in allowed:
        allowed.append(portal_origin)
    env["EMBED_ALLOWED_ORIGINS"] = ",".join(allowed)
    # The demo portal signs its comment thread's title and URL (docs/embedding.md) with a
    # secret of this run, unless one is configured for it already.
    signing_keys = dict(app.config["EMBED_SIGNING_KEYS"])
    signing_keys.setdefault(portal_origin, (secrets.token_hex(32),))
    env["EMBED_SIGNING_KEYS"] = ",".join(
        f"{origin}={secret}" for origin, values in signing_keys.items() for secret in values
    )
    portal_env = dict(
        env, PORTAL_WIDGET_ORIGIN=widget_origin, PORTAL_SIGNING_KEY=signing_keys[portal_origin][0]
    )
    bin_dir = Path(sys.executable).parent
    gunicorn = [str(bin_dir / "gunicorn"), *no_control_socket()]
    worker = str(bin_dir / "polls-site-worker")
    children = [
        subprocess.Popen(
            [
                *gunicorn,
                "-w",
                str(web_workers),
                # The worker model of deploy/gunicorn.conf.py (connections kept alive).
                "-k",
                "gthread",
                "--threads",
                "4",
                "-b",
                f"{host}:{port}",
                # The factory, not wsgi.py: the same from a checkout and from a wheel.
                "polls_site:create_app()",
            ],
            env=env,
        ),
        # A worker per queue, as in production: moderation never delays a count.
        subprocess.Popen([worker, "--queue", "counts"], env=env),
        subprocess.Popen(
            [worker, "--queue", "moderation"],
            env=dict(env, WORKER_METRICS_BIND="off"),  # the counts worker serves the host's
        ),
        subprocess.Popen(
            [worker, "--queue", "notifications"], env=dict(env, WORKER_METRICS_BIND="off")
        ),
        subprocess.Popen(
            [
                *gunicorn,
                "-w",
                "1",
                "-b",
                f"{host}:{port + 1}",
                "polls_site.demo.portal:create_portal_app()",
            ],
            env=portal_env,
        ),
    ]
    text = banner(widget_origin, portal_origin, accounts, os.getpid())
    # Stop the same way on SIGTERM as on Ctrl-C, so the embedded Redis is stopped too.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        _wait_until_up(f"http://{host}:{port}/", children)
        _wait_until_up(portal_origin + "/", children)
        Path(app.instance_path, BANNER_FILE).write_text(text + "\n", encoding="utf-8")
        signal.signal(signal.SIGUSR1, lambda *_: click.secho(f"\n{text}\n", fg="green"))
        click.secho(f"\n{text}\n", fg="green")
        while all(child.poll() is None for child in children):
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGUSR1, signal.SIG_DFL)
        for child in children:
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        for child in children:
            try:
                child.wait(timeout=10)
            except subprocess.TimeoutExpired:
                child.kill()


# Generous: a busy 2-core laptop has taken over 30 s to boot the web workers.
def _wait_until_up(url: str, children: list[subprocess.Popen], timeout: float = 90) -> None:
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
