"""The app as it runs in production: gunicorn in a subprocess, and RQ workers beside it.

Loaded as a pytest plugin by tests/conftest.py: ask for the fixtures by name.
``live_factory(**extra)`` starts a server whose environment is
``live_config(...)`` plus ``extra`` (each key an environment variable of the same name);
``live_server`` is one with the default settings. The server's ``app`` is an in-process
app with the very same configuration, for ``make_poll`` and for looking at the database.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import pytest
import sqlalchemy as sa
from flask import Flask
from gunicorn.config import Config as GunicornConfig

from polls_site import create_app
from polls_site.core.db import db
from polls_site.models import Ballot
from polls_site.polls.jobs import request_recompute
from tests.support.app import app_config, drain_queue, empty_tables
from tests.support.factories import add_ballots

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
TOKEN_RE = re.compile(r'name="token" value="([^"]+)"')

# Generous: a loaded 2-core machine has taken over 30 s to boot four workers.
STARTUP_SECONDS = 90
# Two processes, each with deploy/gunicorn.conf.py's four threads: enough for what crosses
# processes (near caches, versions, locks) and threads; each process costs ~3 s of CPU to
# import the app, and the suite starts over 80 servers.
PROCESSES = 2
STOP_SECONDS = 10


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port on ``host`` (a loopback address) that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def environment(config: dict[str, object]) -> dict[str, str]:
    """This process's environment with every config key set as a variable of the same name."""
    env = dict(os.environ)
    env.update({key: str(value) for key, value in config.items()})
    env["PYTHONUNBUFFERED"] = "1"
    return env


def worker_env(app: Flask) -> dict[str, str]:
    """The environment for a worker.py subprocess serving ``app``'s database and Redis."""
    keys = ("DATABASE_URL", "DATABASE_PGBOUNCER", "REDIS_URL", "REDIS_KEY_PREFIX", "SECRET_KEY")
    return environment({key: app.config[key] for key in keys})


def live_config(database_url: str, redis_url: str, prefix: str, **extra: object) -> dict:
    """``app_config(...)`` for a server in a subprocess: with TEST_PGBOUNCER_URL set (CI:
    a PgBouncer in transaction pooling in front of the run's PostgreSQL server), it
    reaches the run's database through that PgBouncer, as production does."""
    bouncer = os.environ.get("TEST_PGBOUNCER_URL")
    if bouncer and not database_url.startswith("sqlite"):
        via = sa.engine.make_url(bouncer)
        url = sa.engine.make_url(database_url).set(host=via.host, port=via.port)
        database_url = url.render_as_string(hide_password=False)
        extra = {"DATABASE_PGBOUNCER": "1", **extra}
    return app_config(database_url, redis_url, prefix, **extra)


def stop_process(process: subprocess.Popen, timeout: float = STOP_SECONDS) -> None:
    """SIGTERM (graceful for gunicorn and RQ), then SIGKILL to its whole process group."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            # start_new_session=True made the child the leader of its own group.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=timeout)


def wait_until_serving(
    process: subprocess.Popen, url: str, name: str, seconds: float, log: Callable[[], str]
) -> None:
    """Return once ``url`` answers 200; raise with ``log()`` if ``process`` exits first or
    ``seconds`` pass."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{name} exited early:\n{log()}")
        try:
            with urllib.request.urlopen(url, timeout=2) as reply:
                if reply.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.05)
    raise RuntimeError(f"{name} did not answer within {seconds}s:\n{log()}")


@dataclass
class LiveServer:
    """A gunicorn serving the app on ``host`` (127.0.0.1 unless told; all of 127/8 is
    loopback, so 127.0.0.2 and 127.0.0.3 make two "hosts"), and the workers started for it."""

    port: int
    env: dict[str, str]
    app: Flask
    log_dir: Path
    host: str = "127.0.0.1"
    web_workers: int = PROCESSES
    process: subprocess.Popen | None = None
    _children: list[tuple[subprocess.Popen, IO[bytes]]] = field(default_factory=list)

    def url(self, path: str, host: str | None = None) -> str:
        """An absolute URL of ``path`` on this server (``host`` may be "localhost")."""
        return f"http://{host or self.host}:{self.port}{path}"

    def _spawn(self, args: list[str], log_name: str) -> subprocess.Popen:
        log = open(self.log_dir / log_name, "ab")  # closed in stop()
        process = subprocess.Popen(
            args,
            cwd=ROOT,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self._children.append((process, log))
        return process

    def log(self, name: str = "gunicorn.log") -> str:
        """What a child process wrote so far (for assertion messages)."""
        path = self.log_dir / name
        return path.read_text(errors="replace") if path.exists() else ""

    def start(self) -> None:
        """Start gunicorn and wait (bounded) until it answers HTTP."""
        # The worker class and threads of deploy/gunicorn.conf.py: the suite's live tests
        # are also the proof that the app is safe with threads.
        args = [str(BIN / "gunicorn"), "-w", str(self.web_workers), "-k", "gthread"]
        args += ["--threads", "4", "-b", f"{self.host}:{self.port}"]
        args += ["--graceful-timeout", "5", "--timeout", "60"]
        if "control_socket_disable" in GunicornConfig().settings:
            # gunicorn >= 25 opens ~/.gunicorn/gunicorn.ctl, one path for every instance.
            args.append("--no-control-socket")
        self.process = self._spawn([*args, "wsgi:app"], "gunicorn.log")
        wait_until_serving(
            self.process, self.url("/static/widget.css"), "gunicorn", STARTUP_SECONDS, self.log
        )

    def start_worker(self, *args: str) -> subprocess.Popen:
        """Start ``python worker.py *args`` (runs until the server's teardown)."""
        return self._spawn([sys.executable, "worker.py", *args], "worker.log")

    def run_worker_burst(self, *args: str, timeout: float = 60) -> None:
        """Run ``python worker.py --burst *args`` to completion: every job of the queues it
        serves is done after it."""
        command = [sys.executable, "worker.py", "--burst", *args]
        process = self._spawn(command, "worker-burst.log")
        try:
            code = process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            stop_process(process)
            raise
        assert code == 0, f"worker --burst exited with {code}:\n{self.log('worker-burst.log')}"

    def stop(self) -> None:
        """Stop every child (workers first, then gunicorn) within bounded time."""
        for process, log in reversed(self._children):
            stop_process(process)
            log.close()
        self._children.clear()


def ballot_count(app: Flask, poll_id: int) -> int:
    """How many ballots the database holds for ``poll_id``."""
    with app.app_context():
        count = db.session.scalar(
            sa.select(sa.func.count(Ballot.id)).where(Ballot.poll_id == poll_id)
        )
        db.session.remove()
        return count


def store_ballots(app: Flask, poll_id: int, options: list[int], tag: str = "seed") -> None:
    """Store one ballot per entry of ``options`` (voters ``<tag>:<i>``) and enqueue a recount."""
    add_ballots(
        app, poll_id, options, voters=[f"{tag}:{i}" for i in range(len(options))], ip_hash=tag
    )
    with app.app_context():
        request_recompute(poll_id)


def seed_ballots(app: Flask, poll_id: int, options: list[int]) -> None:
    """Store one ballot per entry of ``options`` and count them into a published snapshot."""
    store_ballots(app, poll_id, options)
    drain_queue(app)


@contextlib.contextmanager
def worker_host(
    database_url: str, redis_url: str, prefix: str, log_dir: Path, **extra: object
) -> Iterator[LiveServer]:
    """A LiveServer that runs only workers (``start_worker``; no gunicorn: the test writes
    to the database itself), for an app of its own; stopped and emptied afterwards."""
    config = live_config(database_url, redis_url, prefix, **extra)
    server = LiveServer(port=0, env=environment(config), app=create_app(config), log_dir=log_dir)
    try:
        yield server
    finally:
        server.stop()
        empty_tables(server.app)


@pytest.fixture(name="live_factory")
def live_factory_fixture(
    database_url: str,
    redis_url: str,
    redis_prefix: str,
    _schema: None,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Callable[..., LiveServer]]:
    """Start gunicorn servers with ``live_config(...)`` plus overrides; all stop at teardown."""
    servers: list[LiveServer] = []

    def start(**extra: object) -> LiveServer:
        prefix = f"{redis_prefix}-live{secrets.token_hex(3)}:"
        config = live_config(database_url, redis_url, prefix, **extra)
        server = LiveServer(
            port=free_port(),
            env=environment(config),
            app=create_app(config),
            log_dir=tmp_path_factory.mktemp("live"),
        )
        servers.append(server)
        server.start()
        return server

    yield start
    for server in servers:
        server.stop()
    for server in servers:
        empty_tables(server.app)


@pytest.fixture(name="live_server")
def live_server_fixture(live_factory: Callable[..., LiveServer]) -> LiveServer:
    """gunicorn with the test configuration and the default vote limits."""
    return live_factory()
