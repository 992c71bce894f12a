"""The production server names no software in its responses."""

from __future__ import annotations

import subprocess
import time
import urllib.error
import urllib.request

import pytest
from gunicorn.config import Config as GunicornConfig

from tests.support.app import app_config
from tests.support.live import BIN, ROOT, environment, free_port, stop_process

pytestmark = pytest.mark.live


def test_the_production_config_hides_gunicorn(database_url, redis_url, redis_prefix) -> None:
    port = free_port()
    env = environment(app_config(database_url, redis_url, f"{redis_prefix}-srv:"))
    env.update(BIND=f"127.0.0.1:{port}", WEB_CONCURRENCY="1")
    args = [str(BIN / "gunicorn"), "-c", "deploy/gunicorn.conf.py"]
    if "control_socket_disable" in GunicornConfig().settings:
        args.append("--no-control-socket")  # gunicorn >= 25: one path for every instance
    server = subprocess.Popen(
        [*args, "wsgi:app"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        headers = None
        deadline = time.monotonic() + 30
        while headers is None and time.monotonic() < deadline:
            assert server.poll() is None, "gunicorn exited"
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
                    headers = r.headers
            except (urllib.error.URLError, OSError):
                time.sleep(0.1)
        assert headers is not None, "gunicorn did not answer"
        assert "gunicorn" not in headers.get("Server", "").lower()
        assert headers["Server"] == "polls_site"
    finally:
        stop_process(server)
