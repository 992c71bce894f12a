"""Per-request server CPU of the reader pages, measured in one process without sockets.

It seeds a fresh SQLite database (the demo poll and a 200-comment thread with 19 small
ones, as ``run.py`` and ``comments.py`` do) under its own Redis key prefix, builds the app
once and calls its WSGI entry point directly, so the figures are the app's own CPU: no
gunicorn, no wrk. Run it under py-spy for a flame graph::

    .venv/bin/py-spy record -o bench/profiles/poll-before.svg -- \
        .venv/bin/python bench/profile_pages.py --only poll --seconds 20
    .venv/bin/python bench/profile_pages.py        # the CPU ms/request table

Everything it created (temp dir, Redis keys) is removed on exit.
"""

from __future__ import annotations

import argparse
import io
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
THREAD_KEY = "news/2026/11/25/bishkek-astana-dialog"


def _seed(env: dict[str, str]) -> None:
    flask = [sys.executable, "-m", "flask", "--app", "wsgi"]
    subprocess.run([*flask, "seed-demo"], env=env, cwd=ROOT, check=True, capture_output=True)
    subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "comment_data.py"),
            "--key",
            THREAD_KEY,
            "--count",
            "200",
            "--extra-threads",
            "19",
        ],
        env=env,
        cwd=ROOT,
        check=True,
        capture_output=True,
    )


def _call(app: Any, environ_base: dict[str, Any]) -> int:
    """One request through the whole WSGI stack; its status code."""
    environ = dict(environ_base)
    environ["wsgi.input"] = io.BytesIO(b"")
    status: list[str] = []

    def start_response(s: str, headers: list, exc_info: Any = None) -> None:
        status.append(s)

    body = app(environ, start_response)
    for _chunk in body:
        pass
    if hasattr(body, "close"):
        body.close()
    return int(status[0].split()[0])


def main(argv: list[str] | None = None) -> int:
    """Seed, build the app, time each endpoint; print CPU ms per request."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", help="one endpoint name (for a flame graph)")
    parser.add_argument("--seconds", type=float, default=3.0, help="per endpoint")
    args = parser.parse_args(argv)

    tmp = Path(tempfile.mkdtemp(prefix="profile-pages-"))
    prefix = f"prof{secrets.token_hex(4)}:"
    env = dict(
        os.environ,
        DATABASE_URL=f"sqlite:///{tmp / 'db.sqlite'}",
        REDIS_URL=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
        REDIS_KEY_PREFIX=prefix,
        SECRET_KEY=secrets.token_hex(16),
    )
    try:
        _seed(env)
        os.environ.update(env)
        sys.path.insert(0, str(ROOT))
        import sqlalchemy as sa
        from werkzeug.test import EnvironBuilder

        from polls_site import create_app
        from polls_site.core.db import db
        from polls_site.models import Thread
        from polls_site.polls.service import published_version

        app = create_app()
        with app.app_context():
            version = published_version(1)
            keys = list(db.session.execute(sa.select(Thread.key)).scalars())[:20]
        query = "&".join(f"key={k}" for k in keys)
        endpoints = {
            "poll": ("/w/poll/1", {}),
            "poll_204": (f"/w/poll/1/results?v={version}", {"HX-Request": "true"}),
            "thread": (f"/w/comments/{THREAD_KEY}", {}),
            "counts": (f"/api/comments/count?{query}", {}),
        }
        for name, (url, headers) in endpoints.items():
            if args.only and name != args.only:
                continue
            path, _, qs = url.partition("?")
            base = EnvironBuilder(path=path, query_string=qs, headers=headers).get_environ()
            for _ in range(50):  # warm the caches
                status = _call(app.wsgi_app, base)
            n = 0
            start_cpu, start = time.process_time(), time.monotonic()
            while time.monotonic() - start < args.seconds:
                _call(app.wsgi_app, base)
                n += 1
            cpu = (time.process_time() - start_cpu) / n * 1000
            print(f"{name:10s} status {status}  {cpu:.3f} ms CPU/request  ({n} requests)")
    finally:
        import redis

        client = redis.Redis.from_url(env["REDIS_URL"])
        names = list(client.scan_iter(match=f"{prefix}*", count=1000))
        if names:
            client.delete(*names)
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
