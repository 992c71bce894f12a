"""Fault-injection helpers: a private redis-server that a test may kill and restart, and
waiting for a condition with a deadline (never a bare sleep).

Never restart the shared Redis on 6379: other people's test runs use it.
"""

from __future__ import annotations

import contextlib
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

import pytest
from redis import Redis
from redis.exceptions import RedisError

from polls_site.core.embedded_redis import server_binary
from tests.support.live import free_port

T = TypeVar("T")


def wait_for(condition: Callable[[], T], timeout: float, what: str, step: float = 0.05) -> T:
    """Poll ``condition`` until it returns something truthy; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(step)


class PrivateRedis:
    """A redis-server on a free TCP port that keeps nothing on disk, like production's."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def answers(self) -> bool:
        try:
            with Redis(port=self.port, socket_connect_timeout=0.2, socket_timeout=0.5) as client:
                return bool(client.ping())
        except (RedisError, OSError):
            return False

    def start(self) -> None:
        """Start the server (on the same port as before, after a kill) and wait for it."""
        args = [server_binary(), "--port", str(self.port), "--bind", "127.0.0.1"]
        args += ["--save", "", "--appendonly", "no", "--dir", str(self.folder)]
        with open(self.folder / "redis.log", "ab") as log:
            self.process = subprocess.Popen(
                args, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        wait_for(self.answers, 10, "the private redis-server to answer")

    def kill(self) -> None:
        """SIGKILL: every key is gone, clients see refused connections."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)
        wait_for(lambda: not self.answers(), 5, "the private redis-server to stop")


@pytest.fixture(name="private_redis")
def private_redis_fixture(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrivateRedis]:
    """A started private Redis, killed at teardown."""
    server = PrivateRedis(tmp_path_factory.mktemp("private-redis"))
    server.start()
    yield server
    with contextlib.suppress(AssertionError):
        server.kill()
