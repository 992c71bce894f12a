"""``kill -9`` of a real ``python worker.py`` in the middle of recount and moderation jobs.

The job is held up deterministically by a lock the test takes (a row lock on
PostgreSQL, the write lock on SQLite), the worker is killed while its job is started,
and after a new worker starts every snapshot equals a direct count and every comment
has been moderated exactly once (one decision row change, one log line).

What the installed RQ (3.0) does by itself: the killed job stays in the
StartedJobRegistry until its entry expires (job timeout + 60 s) and a worker next runs
maintenance (at start and every 10 minutes); then it is retried (it has retries left).
The app does not wait for that: a started job whose worker's alive key has expired is
requeued by the next worker (polls_site/worker/abandoned.py).
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import signal
import sqlite3
import subprocess
from collections import Counter
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from rq.job import Job
from rq.registry import StartedJobRegistry
from rq.serializers import JSONSerializer

from polls_site.comments.jobs import moderate_comment
from polls_site.core.db import db
from polls_site.core.jobs import all_queues
from polls_site.models import Ballot, BallotChoice, Comment, CommentStatus, ResultSnapshot
from tests.support.comments import Commenting
from tests.support.factories import make_poll, make_thread, option_ids
from tests.support.faults import wait_for
from tests.support.live import LiveServer, seed_ballots, store_ballots, worker_host

pytestmark = [pytest.mark.live, pytest.mark.slow]


@pytest.fixture
def host(database_url, redis_url, redis_prefix, _schema, tmp_path_factory) -> Iterator[LiveServer]:
    """Workers for an app of their own (no web server: the test client writes)."""
    with worker_host(
        database_url,
        redis_url,
        f"{redis_prefix}-kill{secrets.token_hex(3)}:",
        tmp_path_factory.mktemp("workers"),
        RECONCILE_SECONDS=1,
        RECOMPUTE_MIN_INTERVAL=0,
        COMMENT_LIMIT_IP="1000/600",
        COMMENT_LIMIT_VOTER="1000/600",
    ) as server:
        yield server


def kill_9(process: subprocess.Popen) -> None:
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=10)


@contextlib.contextmanager
def holding_lock(app, table: str, row_id: int) -> Iterator[None]:
    """Lock one row (PostgreSQL) or the whole database for writing (SQLite) until exit."""
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    if url.startswith("sqlite"):
        conn = sqlite3.connect(sa.engine.make_url(url).database, isolation_level=None)
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            conn.execute("ROLLBACK")
            conn.close()
        return
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        with conn.begin():
            conn.execute(
                sa.text(f"SELECT 1 FROM {table} WHERE {row_id_column(table)} = :id FOR UPDATE"),
                {"id": row_id},
            )
            yield
    engine.dispose()


def row_id_column(table: str) -> str:
    return "poll_id" if table == "result_snapshots" else "id"


def someone_waits_for_a_lock(app) -> bool:
    """PostgreSQL: a backend of this database waits for a lock. SQLite cannot tell."""
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            return True
        waiting = db.session.scalar(
            sa.text(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
        )
        db.session.remove()
        return waiting > 0


def started_job(app, func_suffix: str, held: int) -> Job | None:
    """A started job of ``func_suffix`` that waits for the lock: the one for the ``held``
    row on PostgreSQL, whichever runs first on SQLite (its lock holds every writer)."""
    any_row = app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite")
    with app.app_context():
        for queue in all_queues(app):
            registry = StartedJobRegistry(queue=queue)
            for job_id in registry.get_job_ids(cleanup=False):
                job = Job.fetch(job_id, connection=queue.connection, serializer=JSONSerializer)
                if job.func_name.endswith(func_suffix) and (any_row or job.args[0] == held):
                    return job
    return None


def log_records(server: LiveServer, message: str) -> list[dict]:
    """JSON log lines of every worker with ``msg`` == ``message``."""
    records = []
    for line in server.log("worker.log").splitlines():
        if line.startswith("{"):
            record = json.loads(line)
            if record.get("msg") == message:
                records.append(record)
    return records


def test_worker_killed_during_moderation_every_comment_is_decided_once(host) -> None:
    app = host.app
    make_thread(app)
    reader = Commenting(app.test_client())
    for i in range(8):
        text = f"Комментарий номер {i}: {secrets.token_hex(4)} о статье и её выводах."
        assert reader.post(text=text).status_code == 200
    with app.app_context():
        ids = list(db.session.scalars(sa.select(Comment.id).order_by(Comment.id)))
        db.session.remove()
    target = ids[3]

    with holding_lock(app, "comments", target):
        worker = host.start_worker()
        job = wait_for(lambda: started_job(app, "moderate_comment", target), 30, "the job to start")
        wait_for(lambda: someone_waits_for_a_lock(app), 30, "the job to wait for the lock")
        kill_9(worker)
    with app.app_context():
        assert db.session.get(Comment, job.args[0]).status == CommentStatus.PENDING
        db.session.remove()

    host.start_worker()

    def all_decided() -> bool:
        with app.app_context():
            pending = db.session.scalar(
                sa.select(sa.func.count(Comment.id)).where(Comment.status == CommentStatus.PENDING)
            )
            db.session.remove()
        return pending == 0

    wait_for(all_decided, 40, "every comment to be moderated", step=0.2)
    with app.app_context():
        rows = db.session.execute(
            sa.select(Comment.id, Comment.revision, Comment.moderated_at)
        ).all()
        db.session.remove()
    # Written at revision 1, one decision: revision 2. A second decision would make it 3.
    assert {(rid, rev) for rid, rev, _ in rows} == {(rid, 2) for rid in ids}
    assert all(at is not None for _, _, at in rows)
    decided = Counter(r["comment_id"] for r in log_records(host, "comment moderated"))
    assert decided == dict.fromkeys(ids, 1)
    requeued = log_records(host, "requeued abandoned job")
    assert [r["job_id"] for r in requeued] == [job.id]
    # Idempotent: running every job again changes nothing.
    with app.app_context():
        assert [moderate_comment(cid) for cid in ids] == [None] * len(ids)
        assert set(db.session.scalars(sa.select(Comment.revision))) == {2}
        db.session.remove()


def direct_counts(app, poll_id: int) -> dict[int, int]:
    with app.app_context():
        counts = dict(
            db.session.execute(
                sa.select(BallotChoice.option_id, sa.func.count())
                .where(BallotChoice.poll_id == poll_id)
                .group_by(BallotChoice.option_id)
            ).all()
        )
        db.session.remove()
    return counts


def snapshot_counts(app, poll_id: int) -> dict[int, int]:
    with app.app_context():
        snapshot = db.session.get(ResultSnapshot, poll_id, populate_existing=True)
        db.session.remove()
    return {r["option_id"]: r["votes"] for r in snapshot.rows if r["votes"]}


def test_worker_killed_during_recounts_every_snapshot_equals_a_direct_count(host) -> None:
    app = host.app
    polls = [make_poll(app, question=f"Вопрос {i}") for i in range(3)]
    for poll_id in polls:
        a, b, c = option_ids(app, poll_id)
        seed_ballots(app, poll_id, [a, b, b, c])
    for poll_id in polls:
        a, _b, c = option_ids(app, poll_id)
        store_ballots(app, poll_id, [a, a, c] * 5, "late")
    held = polls[1]

    with holding_lock(app, "result_snapshots", held):
        worker = host.start_worker()
        job = wait_for(
            lambda: started_job(app, "recompute_results", held), 30, "a recount to start"
        )
        wait_for(lambda: someone_waits_for_a_lock(app), 30, "the recount to wait for the lock")
        kill_9(worker)
    killed_poll = job.args[0]
    assert snapshot_counts(app, killed_poll) != direct_counts(app, killed_poll)

    host.start_worker()
    wait_for(
        lambda: all(snapshot_counts(app, p) == direct_counts(app, p) for p in polls),
        40,
        "every snapshot to equal a direct count",
        step=0.2,
    )
    for poll_id in polls:
        with app.app_context():
            snapshot = db.session.get(ResultSnapshot, poll_id)
            voters = db.session.scalar(
                sa.select(sa.func.count(Ballot.id)).where(Ballot.poll_id == poll_id)
            )
            db.session.remove()
        assert snapshot.voters == voters == 19
        assert sum(r["percent"] for r in snapshot.rows) == 100
    # The reconcile pass may be first to fix the snapshot; the killed job still runs again.
    wait_for(
        lambda: job.id in [r["job_id"] for r in log_records(host, "requeued abandoned job")],
        20,
        "the killed recount to be requeued",
        step=0.2,
    )
