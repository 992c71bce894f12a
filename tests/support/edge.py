"""The shipped nginx config (deploy/nginx/) in front of a live gunicorn, for tests and
benchmarks.

``render_site`` turns the site file into one for a test: the same file with a handful of
explicit substitutions (listen port, cache, static folder and snippet paths), each of
which must match, so a renamed path in the shipped file fails loudly instead of testing
something else; ``render_upstream`` writes the shipped upstream file's one ``server`` line
once per web host of the test, parameters kept. ``Edge`` runs Debian's nginx on that config with its
own prefix (pid, logs, temp and cache directories), not as root and never on port 80.
Loaded as a pytest plugin by tests/conftest.py: ``edge_factory(live_server)`` starts one;
``live_edge(...)`` starts gunicorn and nginx together for a whole module.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import shutil
import subprocess
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

from polls_site import create_app
from tests.support.app import empty_tables
from tests.support.live import (
    ROOT,
    LiveServer,
    environment,
    free_port,
    live_config,
    stop_process,
    wait_until_serving,
)

NGINX = "/usr/sbin/nginx"
DEPLOY = ROOT / "deploy" / "nginx"
SITE = DEPLOY / "polls-site.conf"
UPSTREAM = DEPLOY / "polls-site-upstream.conf"
SNIPPETS = ("polls-site-proxy.conf", "polls-site-compression.conf")
BROTLI_SNIPPET = "polls-site-brotli.conf"
MODULES = Path("/usr/lib/nginx/modules")
BROTLI_MODULE = MODULES / "ngx_http_brotli_filter_module.so"
MIME_TYPES = Path("/etc/nginx/mime.types")
STARTUP_SECONDS = 20


def _substitute(text: str, old: str, new: str, count: int, name: str = SITE.name) -> str:
    found = text.count(old)
    if found != count:
        raise AssertionError(f"{name}: expected {old!r} {count}×, found {found}×")
    return text.replace(old, new)


def render_site(*, listen_port: int, prefix: Path, static_dir: str | Path) -> str:
    """The shipped site file with the test's port, cache, static and snippet paths."""
    text = SITE.read_text()
    text = _substitute(text, "listen 80;", f"listen 127.0.0.1:{listen_port};", 1)
    text = _substitute(text, "    listen [::]:80;\n", "", 1)
    text = _substitute(text, "/var/cache/nginx/polls_site", str(prefix / "cache"), 1)
    text = _substitute(text, "/run/polls-site-edge.sock", str(prefix / "edge.sock"), 2)
    text = _substitute(text, "/srv/polls_site/static/", f"{str(static_dir).rstrip('/')}/", 2)
    return _substitute(text, "/etc/nginx/snippets/", f"{prefix / 'snippets'}/", 6)


def render_upstream(upstreams: Sequence[str]) -> str:
    """The shipped upstream file with its ``server`` line once per ``host:port``."""
    text = UPSTREAM.read_text()
    active = re.findall(r"^ {4}server 127\.0\.0\.1:8000( [^;]*)?;\n", text, re.MULTILINE)
    if len(active) != 1:
        raise AssertionError(f"{UPSTREAM.name}: expected one active server line, found {active}")
    parameters = active[0]
    lines = "".join(f"    server {address}{parameters};\n" for address in upstreams)
    return _substitute(
        text, f"    server 127.0.0.1:8000{parameters};\n", lines, 1, name=UPSTREAM.name
    )


def main_config(prefix: Path, *, brotli: bool) -> str:
    """The nginx.conf around the site file: what Debian's nginx.conf provides, in ``prefix``."""
    modules = ""
    if brotli:
        modules = f"load_module {BROTLI_MODULE};\n"
    if os.geteuid() == 0:
        # Started as root, nginx would run its workers as "nobody", who may not read the
        # test's private temporary directories.
        modules += "user root;\n"
    temp = prefix / "temp"
    temp_paths = "".join(
        f"    {name}_temp_path {temp / name};\n"
        for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    return (
        f"{modules}"
        "worker_processes auto;\n"  # as Debian's nginx.conf
        f"pid {prefix / 'nginx.pid'};\n"
        f"error_log {prefix / 'error.log'} warn;\n"
        "daemon off;\n"
        "events { worker_connections 512; }\n"
        "http {\n"
        f"    include {MIME_TYPES};\n"
        "    default_type application/octet-stream;\n"
        "    sendfile on;\n"
        "    keepalive_timeout 65;\n"
        f"{temp_paths}"
        f"    include {prefix / 'polls-site.conf'};\n"
        "}\n"
    )


def nginx_available() -> bool:
    """True when Debian's nginx binary is installed."""
    return Path(NGINX).exists() and MIME_TYPES.exists()


def require_nginx() -> None:
    """Skip without nginx; under CI=true, fail instead (the edge must be tested there)."""
    if nginx_available():
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI=true but {NGINX} is missing: apt-get install nginx")
    pytest.skip(f"edge tests need Debian's nginx at {NGINX} (apt-get install nginx)")


@dataclass
class Edge:
    """nginx with the shipped site config, in front of its upstreams (``host:port`` each)."""

    prefix: Path
    port: int
    upstreams: list[str]
    static_dir: Path
    brotli: bool
    process: subprocess.Popen | None = None

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        """An absolute URL of ``path`` through nginx."""
        return f"http://{host}:{self.port}{path}"

    def write(self) -> Path:
        """Write nginx.conf, the site file and its snippets under ``prefix``; its path."""
        (self.prefix / "snippets").mkdir(parents=True, exist_ok=True)
        for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
            (self.prefix / "temp" / name).mkdir(parents=True, exist_ok=True)
        (self.prefix / "cache").mkdir(exist_ok=True)
        snippets = [*SNIPPETS, BROTLI_SNIPPET] if self.brotli else list(SNIPPETS)
        for name in snippets:
            shutil.copy(DEPLOY / name, self.prefix / "snippets" / name)
        site = render_site(listen_port=self.port, prefix=self.prefix, static_dir=self.static_dir)
        (self.prefix / "polls-site.conf").write_text(site)
        upstream = render_upstream(self.upstreams)
        (self.prefix / "snippets" / UPSTREAM.name).write_text(upstream)
        config = self.prefix / "nginx.conf"
        config.write_text(main_config(self.prefix, brotli=self.brotli))
        return config

    def _args(self, config: Path) -> list[str]:
        return [NGINX, "-p", f"{self.prefix}/", "-c", str(config), "-e", str(self.error_log)]

    @property
    def error_log(self) -> Path:
        """Where nginx writes its errors."""
        return self.prefix / "error.log"

    def log(self) -> str:
        """The error log so far (for assertion messages)."""
        if not self.error_log.exists():
            return ""
        return self.error_log.read_text(errors="replace")[-4000:]

    def check(self) -> None:
        """``nginx -t`` on the rendered config: raises with nginx's words if it is refused."""
        config = self.write()
        result = subprocess.run(
            [*self._args(config), "-t"], capture_output=True, text=True, timeout=30
        )
        if result.returncode != 0:
            raise RuntimeError(f"nginx -t refused the config:\n{result.stderr}")

    def start(self) -> None:
        """Check and start nginx, and wait (bounded) until it serves a static file."""
        self.check()
        self.process = subprocess.Popen(
            self._args(self.prefix / "nginx.conf"),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        wait_until_serving(
            self.process, self.url("/static/widget.css"), "nginx", STARTUP_SECONDS, self.log
        )

    def stop(self) -> None:
        """Stop nginx (SIGTERM: fast shutdown; SIGKILL to its group if it hangs)."""
        if self.process is not None:
            stop_process(self.process)
            self.process = None


def start_edge(upstream: int | Sequence[str], prefix: Path, static_dir: str | Path) -> Edge:
    """Start nginx with the shipped config on a free port in front of ``upstream``: a port
    on 127.0.0.1, or a list of ``host:port``."""
    upstreams = [f"127.0.0.1:{upstream}"] if isinstance(upstream, int) else list(upstream)
    edge = Edge(
        prefix=prefix,
        port=free_port(),
        upstreams=upstreams,
        static_dir=Path(static_dir),
        brotli=BROTLI_MODULE.exists(),
    )
    edge.start()
    return edge


@pytest.fixture(name="edge_factory")
def edge_factory_fixture(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Callable[[LiveServer], Edge]]:
    """Start nginx in front of a live server; every one stops at teardown."""
    require_nginx()
    edges: list[Edge] = []

    def start(server: LiveServer) -> Edge:
        edge = start_edge(
            server.port, tmp_path_factory.mktemp("edge"), server.app.static_folder or ""
        )
        edges.append(edge)
        return edge

    yield start
    for edge in edges:
        edge.stop()


@contextlib.contextmanager
def live_edge(
    database_url: str, redis_url: str, redis_prefix: str, log_dir: Path, **extra: object
) -> Iterator[tuple[LiveServer, Edge]]:
    """gunicorn (``live_config`` plus ``extra``, TRUSTED_PROXY_COUNT=1 as behind the shipped
    config) and nginx in front of it; both stopped, and the tables emptied, afterwards."""
    require_nginx()
    prefix = f"{redis_prefix}-edge{secrets.token_hex(3)}:"
    config = live_config(database_url, redis_url, prefix, TRUSTED_PROXY_COUNT=1, **extra)
    server = LiveServer(
        port=free_port(), env=environment(config), app=create_app(config), log_dir=log_dir
    )
    edge: Edge | None = None
    try:
        server.start()
        edge = start_edge(server.port, log_dir / "nginx", server.app.static_folder or "")
        yield server, edge
    finally:
        if edge is not None:
            edge.stop()
        server.stop()
        empty_tables(server.app)
