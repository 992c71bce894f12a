"""Polls open and close on time: the scheduler pass, with an injected clock and a real worker."""

from __future__ import annotations

import subprocess
import sys
import time
from datetime import timedelta

import sqlalchemy as sa

from polls_site.core.db import db
from polls_site.core.redis import redis_client, rkey
from polls_site.models import AuditEntry, Poll, PollStatus, ResultSnapshot, utcnow
from polls_site.polls.lifecycle import apply_schedule
from tests.support.factories import make_poll
from tests.support.live import ROOT, worker_env


def status(app, poll_id: int) -> str:
    with app.app_context():
        return db.session.scalar(sa.select(Poll.status).where(Poll.id == poll_id))


def test_schedule_opens_then_closes_on_an_injected_clock(app) -> None:
    now = utcnow()
    poll_id = make_poll(
        app,
        status=PollStatus.DRAFT,
        opens_at=now + timedelta(minutes=1),
        closes_at=now + timedelta(minutes=2),
    )
    plain_draft = make_poll(app, status=PollStatus.DRAFT)
    with app.app_context():
        assert apply_schedule(now) == []
        assert apply_schedule(now + timedelta(seconds=61)) == [(poll_id, "open")]
        assert apply_schedule(now + timedelta(seconds=62)) == []  # idempotent
        assert apply_schedule(now + timedelta(seconds=121)) == [(poll_id, "closed")]
        assert apply_schedule(now + timedelta(seconds=122)) == []
        actions = db.session.scalars(
            sa.select(AuditEntry.action).where(AuditEntry.target_id == str(poll_id))
        ).all()
        assert actions == ["poll.open", "poll.close"]
        poll = db.session.get(Poll, poll_id)
        # The planned closing time stays: ballots cast before it are the final count.
        assert poll.closes_at == now + timedelta(minutes=2)
    assert status(app, plain_draft) == PollStatus.DRAFT


def test_a_draft_whose_window_has_passed_is_not_opened(app) -> None:
    now = utcnow()
    poll_id = make_poll(
        app,
        status=PollStatus.DRAFT,
        opens_at=now - timedelta(hours=2),
        closes_at=now - timedelta(hours=1),
    )
    with app.app_context():
        assert apply_schedule(now) == []
    assert status(app, poll_id) == PollStatus.DRAFT


def test_a_real_worker_opens_and_closes_a_poll_on_time(app) -> None:
    env = worker_env(app)
    env.update({"SCHEDULE_SECONDS": "1", "RECONCILE_SECONDS": "3"})
    worker = subprocess.Popen(
        [sys.executable, "worker.py"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        # The worker is up once it has asked for its first schedule pass.
        with app.app_context():
            wait_for(lambda: redis_client().exists(rkey("schedule-pending")), 60)
        now = utcnow()
        poll_id = make_poll(
            app,
            status=PollStatus.DRAFT,
            opens_at=now + timedelta(seconds=1),
            closes_at=now + timedelta(seconds=5),
        )
        wait_for(lambda: status(app, poll_id) == PollStatus.CLOSED, 60)
        with app.app_context():
            entries = db.session.execute(
                sa.select(AuditEntry.action, AuditEntry.staff_name, AuditEntry.at)
                .where(AuditEntry.target_id == str(poll_id))
                .order_by(AuditEntry.id)
            ).all()
            poll = db.session.get(Poll, poll_id)
            assert [(a, who) for a, who, _at in entries] == [
                ("poll.open", "scheduler"),
                ("poll.close", "scheduler"),
            ]
            # Opened and closed on time, not early.
            assert entries[0].at >= poll.opens_at and entries[1].at >= poll.closes_at
        # The close asked for the final recount.
        with app.app_context():
            wait_for(lambda: db.session.get(ResultSnapshot, poll_id) is not None, 30)
    finally:
        worker.terminate()
        worker.wait(timeout=30)


def wait_for(condition, seconds: float) -> None:
    """Poll ``condition`` until it holds; fail after ``seconds``."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.2)
