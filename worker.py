"""Start an RQ worker for polls_site: ``python worker.py`` (``--burst`` to drain and exit).

The worker runs with RQ's scheduler (for job retries) and, unless bursting, a
ticker that asks for a reconcile pass every RECONCILE_SECONDS: it catches up
votes that were stored while Redis was down and rebuilds lost Redis state.
"""

from __future__ import annotations

import argparse
import logging
import threading

from redis import Redis
from rq import Queue, Worker
from rq.serializers import JSONSerializer

from polls_site import create_app
from polls_site.extensions import db, queue_name
from polls_site.tasks import request_reconcile

log = logging.getLogger("polls_site.worker")


def _reconcile_ticker(app, stop: threading.Event) -> None:
    with app.app_context():
        while not stop.wait(app.config["RECONCILE_SECONDS"] / 3):
            request_reconcile()


def main(argv: list[str] | None = None) -> int:
    """Run the worker until stopped (or until the queue is empty with --burst)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--burst", action="store_true", help="drain the queue, then exit")
    args = parser.parse_args(argv)

    app = create_app()
    with app.app_context():
        # Work-horses are forked from this process: keep no DB connection open here.
        db.engine.dispose()
        # The worker's own client keeps redis-py's patient defaults: it may wait.
        connection = Redis.from_url(app.config["REDIS_URL"])
        queue = Queue(queue_name(app), connection=connection, serializer=JSONSerializer)
        worker = Worker([queue], connection=connection, serializer=JSONSerializer)
        stop = threading.Event()
        if not args.burst:
            request_reconcile()
            threading.Thread(target=_reconcile_ticker, args=(app, stop), daemon=True).start()
        try:
            worker.work(burst=args.burst, with_scheduler=not args.burst)
        finally:
            stop.set()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
