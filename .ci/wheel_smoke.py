"""Build the wheel, install exactly that into a new venv, and use the whole site from outside
the checkout: migrations, demo data, every page and static file under gunicorn, a vote counted
by the installed worker, runtime state in INSTANCE_PATH and nothing written to site-packages.

Run by `make wheel-smoke` (and CI) with the development venv's Python, which drives the
installed site over HTTP; the site itself runs only from the wheel's venv.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
UV = Path(sys.executable).parent / "uv"
TOKEN_RE = re.compile(r'name="token" value="([^"]+)"')
OPTION_RE = re.compile(r'name="option" value="(\d+)"')


def run(*args: str | Path, cwd: Path, env: dict[str, str]) -> str:
    """Run a command to completion; its output, or exit with it shown."""
    done = subprocess.run(
        [str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300
    )
    if done.returncode != 0:
        sys.exit(f"FAILED: {' '.join(map(str, args))}\n{done.stdout}\n{done.stderr}")
    return done.stdout + done.stderr


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def files_under(folder: Path) -> set[str]:
    """Every file below ``folder``, relative to it, without bytecode caches."""
    return {
        str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file() and p.suffix != ".pyc"
    }


def wait_until_up(url: str, process: subprocess.Popen, log: Path) -> None:
    """Wait (bounded) until ``url`` answers, or exit with the server's log."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit(f"gunicorn exited:\n{log.read_text()}")
        try:
            if requests.get(url, timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    sys.exit(f"{url} did not answer within 60 s:\n{log.read_text()}")


def check(condition: bool, message: str) -> None:
    """Exit with ``message`` unless ``condition`` holds."""
    if not condition:
        sys.exit(f"FAILED: {message}")
    print(f"ok: {message}")


def main() -> int:
    """Build, install, serve, probe; 0 when the installed wheel serves the whole site."""
    work = Path(tempfile.mkdtemp(prefix="polls-wheel-"))
    env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "VIRTUAL_ENV"}}
    for key in ("REDIS_URL", "DATABASE_URL", "PROMETHEUS_MULTIPROC_DIR", "FLASK_APP"):
        env.pop(key, None)  # the embedded defaults: an SQLite file, a Redis of its own
    run(UV, "build", "--wheel", "--quiet", "-o", work / "dist", ROOT, cwd=ROOT, env=env)
    (wheel,) = (work / "dist").glob("polls_site-*.whl")
    venv = work / "venv"
    run(sys.executable, "-m", "venv", venv, cwd=work, env=env)
    python = venv / "bin" / "python"
    install = [UV, "pip", "install", "--quiet", "--python", python]
    run(*install, "-r", ROOT / "requirements" / "runtime.txt", cwd=work, env=env)
    run(*install, "--no-deps", wheel, cwd=work, env=env)
    where = "import os, polls_site; print(os.path.dirname(polls_site.__file__))"
    site = Path(run(python, "-c", where, cwd=work, env=env).strip())
    check(site.parent.name == "site-packages", f"polls_site imports from the wheel ({site})")
    installed = files_under(site)
    web = {
        f"{folder}/{name}"
        for folder in ("templates", "static")
        for name in files_under(ROOT / folder)
    }
    check(web <= installed, f"all {len(web)} files of templates/ and static/ are in the package")
    check("migrations/env.py" in installed, "the migrations are inside the installed package")
    installed_before = files_under(site.parent)

    outside = work / "elsewhere"  # not the checkout: nothing can be found by accident
    outside.mkdir()
    instance = work / "instance"
    env.update(INSTANCE_PATH=str(instance), PYTHONUNBUFFERED="1")
    bin_dir = venv / "bin"
    print(run(bin_dir / "polls-site", "db", "upgrade", cwd=outside, env=env).strip()[-200:])
    print(run(bin_dir / "polls-site", "seed-demo", cwd=outside, env=env).strip())
    check((instance / "polls_site.sqlite3").is_file(), "the SQLite file is in INSTANCE_PATH")

    port = free_port()
    log = work / "gunicorn.log"
    server_env = dict(env, BIND=f"127.0.0.1:{port}", WEB_CONCURRENCY="2")
    with open(log, "wb") as out:
        conf = ROOT / "deploy" / "gunicorn.conf.py"
        server = subprocess.Popen(
            [bin_dir / "gunicorn", "-c", conf, "polls_site:create_app()"],
            cwd=outside,
            env=server_env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(base + "/healthz", server, log)
        (poll,) = [
            p for p in requests.get(base + "/api/polls", timeout=10).json() if p["total"] == 1492
        ]
        poll_id = poll["id"]
        check((instance / "redis.sock").exists(), "the embedded Redis socket is in INSTANCE_PATH")
        pages = [
            "/",
            f"/w/poll/{poll_id}",
            f"/w/poll/{poll_id}?view=results",
            "/w/poll/current",
            "/w/comments/bishkek-astana-dialog",
            "/w/comments/bishkek-astana-dialog/-/badge",
            "/api/comments/count?key=bishkek-astana-dialog",
            "/polls/",
            f"/polls/{poll_id}",
            "/embed.js",
            "/w/theme.css?accent=%23c0392b",
            "/oembed?url=" + requests.utils.quote(f"{base}/polls/{poll_id}"),
            "/staff/login",
            "/healthz",
            "/readyz",
        ]
        for path in pages:
            reply = requests.get(base + path, timeout=10)
            check(reply.status_code == 200, f"GET {path} -> {reply.status_code}")
        statics = sorted(files_under(ROOT / "static"))
        for name in statics:
            reply = requests.get(f"{base}/static/{name}", timeout=10)
            expected = (ROOT / "static" / name).read_bytes()
            if reply.status_code != 200 or reply.content != expected:
                sys.exit(f"FAILED: GET /static/{name} -> {reply.status_code}")
        check(True, f"all {len(statics)} static files are served as in the checkout")

        reader = requests.Session()
        page = reader.get(f"{base}/w/poll/{poll_id}", timeout=10).text
        token, option = TOKEN_RE.search(page).group(1), OPTION_RE.search(page).group(1)
        vote = {"token": token, "option": option}
        origin = {"Origin": base}
        first = reader.post(f"{base}/w/poll/{poll_id}/vote", data=vote, headers=origin, timeout=10)
        check(first.status_code == 200, f"a vote is accepted ({first.status_code})")
        again = reader.post(f"{base}/w/poll/{poll_id}/vote", data=vote, headers=origin, timeout=10)
        check(
            again.status_code == 409,
            f"the same reader's second vote is refused ({again.status_code})",
        )
        redis_url = f"unix://{instance / 'redis.sock'}"
        worker_env = dict(env, REDIS_URL=redis_url)
        run(bin_dir / "polls-site-worker", "--burst", cwd=outside, env=worker_env)
        total = requests.get(f"{base}/api/polls/{poll_id}/results", timeout=10).json()["total"]
        check(total == 1493, f"the installed worker counted it (1492 demo votes + 1: {total})")
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    check(not (instance / "redis.sock").exists(), "the embedded Redis stopped with gunicorn")
    check(files_under(site.parent) == installed_before, "nothing was written into site-packages")
    shutil.rmtree(work)
    print("wheel smoke test passed")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
