"""``flask demo`` run as a person runs it: a calm console (text lines, no line per request,
no worker timeouts), no shared gunicorn control socket, the banner again on SIGUSR1."""

from __future__ import annotations

import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest

from polls_site.demo.run import CONSOLE_ENV
from tests.support.live import ROOT, STARTUP_SECONDS, free_port, stop_process

pytestmark = [pytest.mark.live, pytest.mark.slow]

BANNER_END = "Press Ctrl-C to stop."
REQUESTS = 30


def two_free_ports() -> int:
    """A port P with P and P + 1 free (the widgets and the demo portal)."""
    while True:
        port = free_port()
        try:
            with socket.socket() as probe:
                probe.bind(("127.0.0.1", port + 1))
            return port
        except OSError:
            continue


class Console:
    """The launcher's merged stdout and stderr, line by line, read on a thread."""

    def __init__(self, process: subprocess.Popen) -> None:
        self.lines: list[str] = []
        self._fresh: queue.Queue[str] = queue.Queue()
        self._reader = threading.Thread(target=self._read, args=(process,), daemon=True)
        self._reader.start()

    def _read(self, process: subprocess.Popen) -> None:
        for line in process.stdout:
            self.lines.append(line.rstrip("\n"))
            self._fresh.put(line)

    def wait_for(self, text: str, seconds: float) -> None:
        """Until a line holding ``text`` arrives (lines read meanwhile are kept)."""
        deadline = time.monotonic() + seconds
        while True:
            try:
                line = self._fresh.get(timeout=max(deadline - time.monotonic(), 0.01))
            except queue.Empty:
                raise AssertionError(f"no {text!r} in:\n" + "\n".join(self.lines)) from None
            if text in line:
                return

    def close(self, process: subprocess.Popen) -> None:
        """After the process has exited: the rest of its lines, then the pipe closed."""
        self._reader.join(timeout=10)
        process.stdout.close()


def test_the_demo_console_stays_calm(tmp_path: Path) -> None:
    port = two_free_ports()
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "REDIS_URL", *CONSOLE_ENV}
    }
    env.update(
        INSTANCE_PATH=str(tmp_path / "instance"),
        HOME=str(tmp_path),  # where gunicorn would put its control socket
        PROMETHEUS_MULTIPROC_DIR=str(tmp_path / "metrics"),
        WORKER_METRICS_BIND="off",
        PYTHONUNBUFFERED="1",
    )
    (tmp_path / "metrics").mkdir()
    command = [sys.executable, "-m", "flask", "--app", "wsgi", "demo", "--port", str(port)]
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    console = Console(process)
    try:
        console.wait_for(BANNER_END, 2 * STARTUP_SECONDS)  # migrations and seed first
        started = len(console.lines)
        for i in range(REQUESTS):
            path = ("/w/poll/1", "/w/comments/bishkek-astana-dialog", "/polls/")[i % 3]
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as reply:
                assert reply.status == 200
        # A marker after the requests: every line they caused is in before it.
        process.send_signal(signal.SIGUSR1)
        console.wait_for(BANNER_END, 10)
        during = console.lines[started:]
    finally:
        stop_process(process)
        console.close(process)
    banner = (tmp_path / "instance" / "demo.txt").read_text(encoding="utf-8")
    banner_lines = banner.strip().splitlines()
    assert "user 'editor'" in banner and f"kill -USR1 {process.pid}" in banner
    # The requests added nothing but the banner asked for.
    assert [line for line in during if line.strip() and line not in banner_lines] == []
    assert [line for line in console.lines if line.lstrip().startswith("{")] == []
    assert not any("Timeout reading from socket" in line for line in console.lines)
    assert not any("Control socket" in line for line in console.lines)
    assert not (tmp_path / ".gunicorn").exists()
