"""The RQ worker for polls_site: ``polls-site-worker`` or ``python worker.py`` (``--burst``
drains the queues and exits; ``--queue counts``, ``--queue moderation`` or ``--queue
notifications`` serves one queue, and with no ``--queue`` the worker serves every
queue, counts first).

The worker runs RQ's scheduler (delayed recounts and job retries) and, unless
bursting, a ticker that asks for a reconcile pass every RECONCILE_SECONDS (it
catches up votes stored while Redis was down and rebuilds lost Redis state) and
for the retention purge once a day, re-enqueues the moderation of comments whose
job was lost (left pending for over a minute), every SCHEDULE_SECONDS asks for a
pass that opens and closes polls whose time has come, and requeues jobs left "started"
by a worker that died (each worker keeps an alive key fresh; see worker/abandoned.py).
RQ leaves its loop when Redis fails under a job's bookkeeping (a restart, a Sentinel
failover): the process then waits for Redis and starts a new RQ worker. When Redis answers
with another replication id (it may lack the last writes), the ticker asks for both
reconcile passes at once.
It serves the host's metrics on WORKER_METRICS_BIND (the first worker of a host to bind
it), so a host that runs only workers is scraped too.
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
from rq.defaults import DEFAULT_WORKER_TTL
from rq.exceptions import StopRequested
from rq.serializers import JSONSerializer

from ..core.db import db
from ..core.jobs import QUEUES, queue_name
from ..core.metrics import serve_host_metrics
from ..core.metrics_files import remove_dead_process_files
from ..core.redis import redis_client, server_epoch, worker_redis
from ..polls.jobs import reconcile_results
from .abandoned import keep_alive, requeue_abandoned
from .ticker import (
    request_comment_reconcile,
    request_epoch_reconcile,
    request_purge,
    request_queue_age_check,
    request_reconcile,
    request_schedule,
)

log = logging.getLogger("polls_site.worker")

# RQ blocks in BLPOP for up to its dequeue timeout (the worker TTL less 15 s) while idle.
# The socket must wait longer than that: redis-py 8 gives a connection a 5 s timeout by
# default, and RQ raises only the pool's setting, not that of a connection already
# made (the one that pinged Redis at start), so an idle worker logged «Timeout reading
# from socket» and reconnected, again and again.
WORKER_SOCKET_TIMEOUT = DEFAULT_WORKER_TTL - 15 + 10


def _requeue_abandoned(queues: list[Queue], prefix: str) -> None:
    try:
        for queue in queues:
            requeue_abandoned(queue, prefix)
    except RedisError as exc:
        log.warning("abandoned jobs not checked, Redis unavailable: %s", exc)


def _follow_epoch(known: str | None) -> str | None:
    """The Redis epoch now (``known`` if Redis does not answer); a new one is reconciled at
    once rather than after RECONCILE_SECONDS and the comments' grace."""
    try:
        epoch = server_epoch(redis_client())
    except RedisError:
        return known
    if known is not None and epoch != known:
        log.warning(
            "Redis answers with another replication id (a failover or a restart): reconciling now",
            extra={"epoch": epoch, "previous_epoch": known},
        )
        request_epoch_reconcile(epoch)
    return epoch


def _reconcile_ticker(app, queues: list[Queue], stop: threading.Event) -> None:
    tick = min(app.config["RECONCILE_SECONDS"] / 3, app.config["SCHEDULE_SECONDS"])
    with app.app_context():
        epoch = _follow_epoch(None)
        while not stop.wait(tick):
            epoch = _follow_epoch(epoch)
            request_schedule()
            request_reconcile()
            request_comment_reconcile()
            request_purge()
            request_queue_age_check()
            _requeue_abandoned(queues, app.config["REDIS_KEY_PREFIX"])


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


def worker_connection(config) -> Redis:
    """The worker's own Redis client (a Sentinel's primary where configured): patient (it
    may wait), and with a socket timeout longer than RQ's blocking dequeue, so an idle
    worker stays connected and quiet."""
    return worker_redis(config, socket_timeout=WORKER_SOCKET_TIMEOUT, health_check_interval=30)


class _Worker(SimpleWorker):
    """RQ's SimpleWorker, remembering whether it was asked to stop: RQ also leaves its loop
    when Redis fails under it (a primary killed in the middle of a job's bookkeeping)."""

    stop_requested = False

    def request_stop(self, signum, frame):
        self.stop_requested = True
        super().request_stop(signum, frame)


def _work(connection: Redis, queues: list[Queue], prefix: str, burst: bool, log_level: str) -> None:
    """Run RQ workers until stopped (or drained, with ``burst``): after a Redis failure
    ends one, wait for Redis (a restart, or the primary Sentinel promotes) and start a new one."""
    while True:
        worker = _Worker(queues, connection=connection, serializer=JSONSerializer)
        alive = threading.Event()
        # Each worker its own alive key: the jobs a failed one left "started" are
        # requeued by the ticker once its key expires (worker/abandoned.py).
        threading.Thread(
            target=keep_alive, args=(connection, prefix, worker.name, alive), daemon=True
        ).start()
        try:
            _requeue_abandoned(queues, prefix)
            try:
                worker.work(burst=burst, with_scheduler=True, logging_level=log_level)
            except RedisError as exc:  # raised by RQ's teardown, Redis still away
                log.warning("the RQ worker lost Redis: %s", exc)
            finally:
                alive.set()
            if burst or worker.stop_requested:
                return
            log.warning("the RQ worker stopped on a Redis failure; a new one starts with Redis")
            _wait_for_redis(connection)
        except StopRequested:  # a signal while no RQ loop ran
            return


def main(create_app: Callable[[], Flask], argv: list[str] | None = None) -> int:
    """Run the worker of the app ``create_app`` builds until stopped (or until the queue is
    empty with --burst). The entry points pass the factory: this layer sits below it."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--burst", action="store_true", help="drain the queues, then exit")
    parser.add_argument(
        "--queue",
        action="append",
        choices=QUEUES,
        help="serve this queue (repeatable; default: every queue, counts first)",
    )
    args = parser.parse_args(argv)
    # The order of QUEUES, whatever the order given: counts always come first.
    kinds = [kind for kind in QUEUES if kind in (args.queue or QUEUES)]

    # Imported after polls_site, which points prometheus_client at the shared
    # multiprocess directory before it is first imported.
    from prometheus_client import multiprocess

    app = create_app()
    # The worker's own lines (reconcile passes, rebuilt keys) follow RQ's level: a demo
    # console at WARNING hears only of failures.
    logging.getLogger().setLevel(app.config["WORKER_LOG_LEVEL"].upper())
    remove_dead_process_files(os.environ["PROMETHEUS_MULTIPROC_DIR"])
    # This process's samples stop counting towards live gauges once it exits.
    atexit.register(multiprocess.mark_process_dead, os.getpid())
    bind = app.config["WORKER_METRICS_BIND"]
    if bind and bind.lower() != "off" and not args.burst:
        serve_host_metrics(app, bind)
    with app.app_context():
        # RQ forks its scheduler process: let it inherit no open DB connection.
        db.engine.dispose()
        connection = worker_connection(app.config)
        _wait_for_redis(connection)
        queues = [
            Queue(queue_name(app, kind), connection=connection, serializer=JSONSerializer)
            for kind in kinds
        ]
        log.info("worker serving %s", ", ".join(q.name for q in queues))
        prefix = app.config["REDIS_KEY_PREFIX"]
        stop = threading.Event()
        if not args.burst:
            request_schedule()
            request_reconcile()
            request_comment_reconcile()
            ticker = threading.Thread(
                target=_reconcile_ticker, args=(app, queues, stop), daemon=True
            )
            ticker.start()
        try:
            _work(connection, queues, prefix, args.burst, app.config["WORKER_LOG_LEVEL"].upper())
        finally:
            stop.set()
        if args.burst:
            # Recounts delayed by the minimum interval are not due yet: do them now.
            reconcile_results()
    return 0
