"""The RQ worker for polls_site: ``polls-site-worker`` or ``python worker.py`` (``--burst``
drains the queue and exits).

The worker runs RQ's scheduler (delayed recounts and job retries) and, unless
bursting, a ticker that asks for a reconcile pass every RECONCILE_SECONDS (it
catches up votes stored while Redis was down and rebuilds lost Redis state) and
for the retention purge once a day, re-enqueues the moderation of comments whose
job was lost (left pending for over a minute), every SCHEDULE_SECONDS asks for a
pass that opens and closes polls whose time has come, and requeues jobs left "started"
by a worker that died (each worker keeps an alive key fresh; see worker/abandoned.py).
Jobs run in this process (RQ's SimpleWorker): a recount takes milliseconds,
while forking a work-horse for each one cost ten times that.
"""

from __future__ import annotations

import argparse
import atexit
import logging
import os
import threading
import time
from collections.abc import Callable

from flask import Flask
from redis import Redis
from redis.exceptions import RedisError
from rq import Queue, SimpleWorker
from rq.serializers import JSONSerializer

from ..core.db import db
from ..core.jobs import queue_name
from ..polls.jobs import reconcile_results
from .abandoned import keep_alive, requeue_abandoned
from .ticker import (
    request_comment_reconcile,
    request_purge,
    request_reconcile,
    request_schedule,
)

log = logging.getLogger("polls_site.worker")


def _requeue_abandoned(queue: Queue, prefix: str) -> None:
    try:
        requeue_abandoned(queue, prefix)
    except RedisError as exc:
        log.warning("abandoned jobs not checked, Redis unavailable: %s", exc)


def _reconcile_ticker(app, queue: Queue, stop: threading.Event) -> None:
    tick = min(app.config["RECONCILE_SECONDS"] / 3, app.config["SCHEDULE_SECONDS"])
    with app.app_context():
        while not stop.wait(tick):
            request_schedule()
            request_reconcile()
            request_comment_reconcile()
            request_purge()
            _requeue_abandoned(queue, app.config["REDIS_KEY_PREFIX"])


def _wait_for_redis(connection: Redis) -> None:
    # A worker started while Redis restarts waits for it instead of exiting.
    delay = 0.5
    while True:
        try:
            connection.ping()
            return
        except RedisError as exc:
            log.warning("Redis unavailable (%s); the worker tries again in %.1f s", exc, delay)
            time.sleep(delay)
            delay = min(delay * 2, 10.0)


def main(create_app: Callable[[], Flask], argv: list[str] | None = None) -> int:
    """Run the worker of the app ``create_app`` builds until stopped (or until the queue is
    empty with --burst). The entry points pass the factory: this layer sits below it."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--burst", action="store_true", help="drain the queue, then exit")
    args = parser.parse_args(argv)

    # Imported after polls_site, which points prometheus_client at the shared
    # multiprocess directory before it is first imported.
    from prometheus_client import multiprocess

    app = create_app()
    # This process's samples stop counting towards live gauges once it exits.
    atexit.register(multiprocess.mark_process_dead, os.getpid())
    with app.app_context():
        # RQ forks its scheduler process: let it inherit no open DB connection.
        db.engine.dispose()
        # The worker's own client keeps redis-py's patient defaults: it may wait.
        connection = Redis.from_url(app.config["REDIS_URL"])
        _wait_for_redis(connection)
        queue = Queue(queue_name(app), connection=connection, serializer=JSONSerializer)
        worker = SimpleWorker([queue], connection=connection, serializer=JSONSerializer)
        prefix = app.config["REDIS_KEY_PREFIX"]
        stop = threading.Event()
        threading.Thread(
            target=keep_alive, args=(connection, prefix, worker.name, stop), daemon=True
        ).start()
        _requeue_abandoned(queue, prefix)
        if not args.burst:
            request_schedule()
            request_reconcile()
            request_comment_reconcile()
            threading.Thread(target=_reconcile_ticker, args=(app, queue, stop), daemon=True).start()
        try:
            worker.work(burst=args.burst, with_scheduler=True)
        finally:
            stop.set()
        if args.burst:
            # Recounts delayed by the minimum interval are not due yet: do them now.
            reconcile_results()
    return 0
