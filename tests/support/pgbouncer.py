"""A private PgBouncer in transaction pooling in front of a PostgreSQL server, on a free
loopback port: for the suite's live servers in CI and for the fault tests.

Loaded as a pytest plugin (the ``pgbouncer`` fixture: one in front of the run's
PostgreSQL) and run by .ci/run as a command::

    python -m tests.support.pgbouncer start DIR --upstream 127.0.0.1:5432   # prints its URL
    python -m tests.support.pgbouncer stop DIR

The settings are those docs/reliability.md recommends; only addresses, files and the
login (trust on loopback, as the test server's) are the test's own.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import pwd
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
import sqlalchemy as sa

PGBOUNCER = "/usr/sbin/pgbouncer"
# PgBouncer refuses to run as root: as root, it runs as the PostgreSQL account.
SERVICE_USER = "postgres"

# What an operator sets (docs/reliability.md "PostgreSQL connections").
SETTINGS = {
    # A server connection serves one transaction, then the next client's.
    "pool_mode": "transaction",
    # Clients are cheap (no backend each): every web thread of every host may hold one.
    "max_client_conn": 2000,
    # Server connections per database and user: what PostgreSQL's max_connections must hold.
    "default_pool_size": 20,
    # After PostgreSQL refused a login (a restart), try again after 1 s rather than 15 s:
    # until then every client is refused at once with "server login has been failing".
    "server_login_retry": 1,
    # A client waits this long for a free server connection before an error.
    "query_wait_timeout": 30,
}


def _pgbouncer_port(folder: Path) -> int:
    for line in (folder / "pgbouncer.ini").read_text().splitlines():
        key, _, value = line.partition("=")
        if key.strip() == "listen_port":
            return int(value)
    raise ValueError(f"no listen_port in {folder / 'pgbouncer.ini'}")


class PgBouncer:
    """A pgbouncer process with its config, log and pid file in ``folder``."""

    def __init__(
        self, folder: Path, upstream_host: str, upstream_port: int, port: int | None = None
    ) -> None:
        from tests.support.live import free_port

        self.folder = folder
        self.upstream = (upstream_host, upstream_port)
        self.port = port or free_port()

    def url(self, database: str = "postgres", user: str = "postgres") -> str:
        """A postgresql:// URL of ``database`` through this pgbouncer."""
        return f"postgresql://{user}@127.0.0.1:{self.port}/{database}"

    def through(self, url: str) -> str:
        """``url`` (a database on the upstream server) as reached through this pgbouncer."""
        parsed = sa.engine.make_url(url)
        return parsed.set(host="127.0.0.1", port=self.port).render_as_string(hide_password=False)

    def _write_config(self) -> Path:
        host, port = self.upstream
        (self.folder / "users.txt").write_text(f'"{SERVICE_USER}" ""\n')
        lines = [
            "[databases]",
            # Any database name, on the upstream server: each gets its own pool.
            f"* = host={host} port={port}",
            "[pgbouncer]",
            "listen_addr = 127.0.0.1",
            f"listen_port = {self.port}",
            "unix_socket_dir =",
            "auth_type = trust",
            f"auth_file = {self.folder / 'users.txt'}",
            f"admin_users = {SERVICE_USER}",
            f"logfile = {self.folder / 'pgbouncer.log'}",
            f"pidfile = {self.folder / 'pgbouncer.pid'}",
            *(f"{key} = {value}" for key, value in SETTINGS.items()),
        ]
        path = self.folder / "pgbouncer.ini"
        path.write_text("\n".join(lines) + "\n")
        return path

    def answers(self) -> bool:
        try:
            with psycopg.connect(self.url("pgbouncer"), connect_timeout=1, autocommit=True) as c:
                c.execute("SHOW VERSION")
            return True
        except psycopg.Error:
            return False

    def start(self, timeout: float = 10) -> None:
        """Start pgbouncer as a daemon and wait until its console answers."""
        config = self._write_config()
        args = [PGBOUNCER, "-d", "-q"]
        if os.geteuid() == 0:
            account = pwd.getpwnam(SERVICE_USER)
            for path in (self.folder, *self.folder.iterdir()):
                os.chown(path, account.pw_uid, account.pw_gid)
            args += ["-u", SERVICE_USER]
        done = subprocess.run([*args, str(config)], capture_output=True, text=True, timeout=timeout)
        if done.returncode != 0:
            raise RuntimeError(f"pgbouncer did not start:\n{done.stderr}{self.log()}")
        deadline = time.monotonic() + timeout
        while not self.answers():
            if time.monotonic() > deadline:
                raise RuntimeError(f"pgbouncer did not answer:\n{self.log()}")
            time.sleep(0.05)

    def show(self, what: str) -> list[dict[str, object]]:
        """The rows of the console's ``SHOW <what>`` (POOLS, STATS, SERVERS...)."""
        with psycopg.connect(self.url("pgbouncer"), autocommit=True) as conn:
            cursor = conn.execute(f"SHOW {what}")
            names = [column.name for column in cursor.description or []]
            return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def log(self) -> str:
        path = self.folder / "pgbouncer.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def stop(self, timeout: float = 10) -> None:
        """SIGTERM the daemon (from its pid file) and wait for it to exit."""
        pid_file = self.folder / "pgbouncer.pid"
        if not pid_file.exists():
            return
        pid = int(pid_file.read_text())
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.05)
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def pgbouncer_missing() -> str | None:
    """Why pgbouncer cannot run here, or None."""
    if not os.access(PGBOUNCER, os.X_OK):
        return f"these tests need Debian's pgbouncer at {PGBOUNCER} (apt-get install pgbouncer)"
    return None


@pytest.fixture(name="pgbouncer")
def pgbouncer_fixture(database_url: str) -> Iterator[PgBouncer]:
    """A pgbouncer in front of this run's PostgreSQL (skipped on SQLite)."""
    if database_url.startswith("sqlite"):
        pytest.skip("PgBouncer stands in front of PostgreSQL")
    missing = pgbouncer_missing()
    if missing:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true: {missing}")
        pytest.skip(missing)
    url = sa.engine.make_url(database_url)
    with private_pgbouncer(url.host or "", url.port or 5432) as bouncer:
        yield bouncer


@contextlib.contextmanager
def private_pgbouncer(upstream_host: str, upstream_port: int) -> Iterator[PgBouncer]:
    """A started pgbouncer in front of that server; stopped and deleted afterwards."""
    # Not under pytest's base folder, which only its owner may enter (pgbouncer runs as
    # the postgres account when the tests run as root).
    folder = Path(tempfile.mkdtemp(prefix="polls-pgbouncer-"))
    bouncer = PgBouncer(folder, upstream_host, upstream_port)
    try:
        bouncer.start()
        yield bouncer
    finally:
        bouncer.stop()
        shutil.rmtree(folder, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    """``start DIR --upstream HOST:PORT [--port N]`` prints the URL; ``stop DIR``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=["start", "stop"])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--upstream", default="127.0.0.1:5432")
    parser.add_argument("--port", type=int)
    args = parser.parse_args(argv)
    host, _, port = args.upstream.rpartition(":")
    if args.action == "stop":
        PgBouncer(args.folder, host, int(port), _pgbouncer_port(args.folder)).stop()
        shutil.rmtree(args.folder, ignore_errors=True)
        return 0
    missing = pgbouncer_missing()
    if missing:
        print(missing, file=sys.stderr)
        return 1
    args.folder.mkdir(parents=True, exist_ok=True)
    bouncer = PgBouncer(args.folder, host, int(port), args.port)
    bouncer.start()
    print(bouncer.url("postgres").rsplit("/", 1)[0])
    return 0


if __name__ == "__main__":
    sys.exit(main())
