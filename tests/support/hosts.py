"""Several web "hosts" behind one edge: a gunicorn on each of 127.0.0.2, 127.0.0.3, …
(all of 127/8 is loopback), one configuration, one database, one Redis, an RQ worker per
host, and the shipped nginx config in front with one upstream server per host.

``web_hosts(...)`` starts them all and stops them (and empties the tables) afterwards.
A host's access log tells which requests reached it.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from flask import Flask

from polls_site import create_app
from tests.support.app import app_config, empty_tables
from tests.support.edge import Edge, require_nginx, start_edge
from tests.support.faults import wait_for
from tests.support.live import LiveServer, environment, free_port


def common_free_port(addresses: tuple[str, ...]) -> int:
    """A port nothing listens on at any of ``addresses`` (the same port on every host)."""
    while True:
        port = free_port(addresses[0])
        with contextlib.ExitStack() as stack:
            try:
                for address in addresses[1:]:
                    sock = stack.enter_context(socket.socket())
                    sock.bind((address, port))
            except OSError:
                continue
        return port


@dataclass
class WebHosts:
    """The hosts (one LiveServer each, sharing ``app``'s configuration) and the edge."""

    hosts: list[LiveServer]
    edge: Edge
    app: Flask

    def access_log(self, host: LiveServer) -> Path:
        """gunicorn's access log of ``host``."""
        return host.log_dir / "access.log"

    def requests_seen(self, host: LiveServer, path_pattern: str) -> int:
        """How many requests whose path matches ``path_pattern`` (a regex) reached ``host``."""
        log = self.access_log(host)
        text = log.read_text(errors="replace") if log.exists() else ""
        return len(re.findall(rf'"[A-Z]+ {path_pattern}[^ ]* HTTP', text))

    def kill_9(self, host: LiveServer) -> None:
        """SIGKILL to the whole process group of ``host``'s gunicorn (master and workers);
        returns once its address refuses connections."""
        assert host.process is not None
        os.killpg(host.process.pid, signal.SIGKILL)
        host.process.wait(timeout=10)
        wait_for(lambda: not accepts(host), 10, f"{host.host} to refuse connections")


def accepts(host: LiveServer) -> bool:
    """True while something accepts TCP connections at ``host``'s address and port."""
    try:
        with socket.create_connection((host.host, host.port), timeout=1):
            return True
    except OSError:
        return False


@contextlib.contextmanager
def web_hosts(
    database_url: str,
    redis_url: str,
    prefix: str,
    log_dir: Path,
    addresses: tuple[str, ...],
    **extra: object,
) -> Iterator[WebHosts]:
    """A gunicorn (two processes of four threads) and a worker on each of ``addresses``,
    nginx in front; ``app_config(...)`` plus ``extra``, TRUSTED_PROXY_COUNT=1 as behind the
    shipped config."""
    require_nginx()
    config = app_config(database_url, redis_url, prefix, TRUSTED_PROXY_COUNT=1, **extra)
    app = create_app(config)
    port = common_free_port(addresses)
    hosts = []
    for address in addresses:
        folder = log_dir / address
        folder.mkdir(parents=True)
        env = environment(config)
        env["GUNICORN_CMD_ARGS"] = f"--access-logfile {folder / 'access.log'}"
        hosts.append(
            LiveServer(port, env, app, folder, host=address, web_workers=2),
        )
    edge: Edge | None = None
    try:
        with ThreadPoolExecutor(len(hosts)) as pool:
            for started in [pool.submit(host.start) for host in hosts]:
                started.result()
        edge = start_edge(
            [f"{address}:{port}" for address in addresses],
            log_dir / "nginx",
            app.static_folder or "",
        )
        for host in hosts:
            host.start_worker()
        yield WebHosts(hosts, edge, app)
    finally:
        if edge is not None:
            edge.stop()
        for host in hosts:
            host.stop()
        empty_tables(app)
