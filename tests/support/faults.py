"""Fault-injection helpers: a private redis-server that a test may kill and restart, a
private primary, replica and three Sentinels, and waiting for a condition with a deadline
(never a bare sleep).

Never restart the shared Redis on 6379: other people's test runs use it.
"""

from __future__ import annotations

import contextlib
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from datetime import datetime
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

    def start(self, extra: list[str] | None = None) -> None:
        """Start the server (on the same port as before, after a kill) and wait for it;
        ``extra`` arguments go to redis-server (``--replicaof host port``)."""
        args = [server_binary(), "--port", str(self.port), "--bind", "127.0.0.1"]
        args += ["--save", "", "--appendonly", "no", "--dir", str(self.folder), *(extra or [])]
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


class SentinelGroup:
    """A private primary and replica watched by three Sentinels, on free loopback ports.

    The Sentinels judge the primary down after ``down_after_ms`` and fail over at once,
    as a test needs; production keeps Sentinel's longer defaults (docs/reliability.md).
    """

    MASTER = "polls"

    def __init__(self, folder: Path, down_after_ms: int = 1000) -> None:
        self.folder = folder
        self.down_after_ms = down_after_ms
        self.primary = PrivateRedis(folder / "primary")
        self.replica = PrivateRedis(folder / "replica")
        self.sentinel_ports = [free_port() for _ in range(3)]
        self.sentinels: list[subprocess.Popen] = []

    @property
    def setting(self) -> str:
        """REDIS_SENTINELS for the app."""
        return ",".join(f"127.0.0.1:{port}" for port in self.sentinel_ports)

    def start(self) -> None:
        """Start the servers, then the Sentinels; return once they see each other and the
        replica is in sync."""
        for server in (self.primary, self.replica):
            server.folder.mkdir(parents=True)
        self.primary.start()
        self.replica.start(["--replicaof", "127.0.0.1", str(self.primary.port)])
        for index, port in enumerate(self.sentinel_ports):
            folder = self.folder / f"sentinel-{index}"
            folder.mkdir()
            conf = folder / "sentinel.conf"  # Sentinel rewrites it: one each, writable
            conf.write_text(
                f"port {port}\nbind 127.0.0.1\ndir {folder}\n"
                f"sentinel monitor {self.MASTER} 127.0.0.1 {self.primary.port} 2\n"
                f"sentinel down-after-milliseconds {self.MASTER} {self.down_after_ms}\n"
                f"sentinel failover-timeout {self.MASTER} 5000\n"
                f"sentinel parallel-syncs {self.MASTER} 1\n"
            )
            with open(folder / "sentinel.log", "ab") as log:
                self.sentinels.append(
                    subprocess.Popen(
                        [server_binary(), str(conf), "--sentinel"],
                        stdout=log,
                        stderr=subprocess.STDOUT,
                        start_new_session=True,
                    )
                )
        wait_for(self._ready, 60, "three Sentinels that know each other and the replica", 0.2)

    def _state(self, port: int) -> dict | None:
        try:
            with Redis(port=port, socket_connect_timeout=0.2, socket_timeout=0.5) as sentinel:
                state = sentinel.sentinel_master(self.MASTER)
                replicas = sentinel.sentinel_slaves(self.MASTER)
        except (RedisError, OSError):
            return None
        return {**state, "replicas": replicas}

    def _ready(self) -> bool:
        for port in self.sentinel_ports:
            state = self._state(port)
            if state is None or state["num-other-sentinels"] != 2:
                return False
            if not any(r["master-link-status"] == "ok" for r in state["replicas"]):
                return False
        return True

    def primary_port(self) -> int | None:
        """The primary's port as a majority of the Sentinels names it, None if none does."""
        ports = []
        for port in self.sentinel_ports:
            state = self._state(port)
            if state is not None and state["is_master"] and not state["is_sdown"]:
                ports.append(int(state["port"]))
        return max(set(ports), key=ports.count) if len(ports) >= 2 else None

    def switched_at(self) -> float:
        """When the first Sentinel logged the switch to another primary (a Unix time)."""
        times = []
        for index in range(len(self.sentinel_ports)):
            log = (self.folder / f"sentinel-{index}" / "sentinel.log").read_text()
            for line in log.splitlines():
                if "+switch-master" in line:
                    # "pid:X 02 Dec 2026 08:08:28.898 # +switch-master …", in local time
                    stamp = " ".join(line.split()[1:5])
                    times.append(datetime.strptime(stamp, "%d %b %Y %H:%M:%S.%f").timestamp())
        assert times, "no Sentinel switched the primary"
        return min(times)

    def stop(self) -> None:
        for process in self.sentinels:
            if process.poll() is None:
                process.send_signal(signal.SIGKILL)
                process.wait(timeout=10)
        for server in (self.primary, self.replica):
            with contextlib.suppress(AssertionError):
                server.kill()


@pytest.fixture(name="sentinel_group")
def sentinel_group_fixture(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SentinelGroup]:
    """A started primary, replica and three Sentinels, all killed at teardown."""
    group = SentinelGroup(tmp_path_factory.mktemp("sentinel"))
    try:
        group.start()
        yield group
    finally:
        group.stop()
