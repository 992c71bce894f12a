"""One gunicorn behind one nginx (the shipped config) for every test of tests/edge/, with
the demo portal and a page-serving portal beside them; each test uses polls of its own."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask

from polls_site.demo.portal import create_portal_app
from tests.embed.test_embed_browser import serve
from tests.support.edge import Edge, live_edge
from tests.support.live import LiveServer, free_port


@dataclass
class Sites:
    """Widgets on localhost through nginx; portals on 127.0.0.1 that may frame them."""

    server: LiveServer
    edge: Edge
    access_log: Path  # gunicorn's: what reached Python
    portal: str  # the demo portal
    article: str  # another portal origin, serving the pages of ``pages`` by name
    pages: dict[str, str]

    def python_saw(self, path: str, at_least: int = 1) -> int:
        """How many GETs of ``path`` (with any query) reached gunicorn, once at least
        ``at_least`` did (gunicorn logs a request just after answering it), or after 5 s."""
        pattern = re.compile(rf'"GET {re.escape(path)}(?:\?[^ ]*)? HTTP')
        deadline = time.monotonic() + 5
        while True:
            text = self.access_log.read_text() if self.access_log.exists() else ""
            seen = len(pattern.findall(text))
            if seen >= at_least or time.monotonic() > deadline:
                return seen
            time.sleep(0.05)


@pytest.fixture(scope="package")
def sites(
    database_url: str,
    redis_url: str,
    redis_prefix: str,
    _schema: None,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Sites]:
    port, article_port = free_port(), free_port()
    log_dir = tmp_path_factory.mktemp("edge")
    access_log = log_dir / "access.log"
    extra = {
        "EMBED_ALLOWED_ORIGINS": f"http://127.0.0.1:{port},http://127.0.0.1:{article_port}",
        "GUNICORN_CMD_ARGS": f"--access-logfile {access_log}",
    }
    pages: dict[str, str] = {}
    article_app = Flask(__name__)
    article_app.add_url_rule("/<name>", "page", lambda name: pages[name])
    with (
        live_edge(database_url, redis_url, redis_prefix, log_dir, **extra) as (server, edge),
        serve(create_portal_app(f"http://localhost:{edge.port}"), port) as portal,
        serve(article_app, article_port) as article,
    ):
        yield Sites(server, edge, access_log, portal, article, pages)
