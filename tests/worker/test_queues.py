"""Recounts and moderation on queues of their own; a worker per queue or one for all."""

from __future__ import annotations

import subprocess
import sys

from polls_site.comments.jobs import enqueue_moderation
from polls_site.core.db import db
from polls_site.core.jobs import COUNTS, MODERATION, task_queue
from polls_site.models import Comment, CommentStatus, ResultSnapshot
from polls_site.polls.jobs import request_recompute
from tests.support.factories import add_ballots, make_comment, option_ids
from tests.support.live import ROOT, worker_env


def burst(app, *args: str) -> None:
    done = subprocess.run(
        [sys.executable, "worker.py", "--burst", *args],
        cwd=ROOT,
        env=worker_env(app),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr


def queue_moderation_then_recount(app, poll_id: int) -> int:
    """A comment's moderation, then a poll's recount, each on its queue; the comment's id."""
    comment_id = make_comment(app, "Обычный текст", status=CommentStatus.PENDING)
    add_ballots(app, poll_id, option_ids(app, poll_id)[:1])
    with app.app_context():
        assert enqueue_moderation(comment_id) and request_recompute(poll_id)
        assert task_queue(MODERATION).count == 1 and task_queue(COUNTS).count == 1
    return comment_id


def test_a_worker_of_the_counts_queue_leaves_moderation_alone(app, poll_id) -> None:
    comment_id = queue_moderation_then_recount(app, poll_id)
    burst(app, "--queue", "counts")
    with app.app_context():
        assert db.session.get(ResultSnapshot, poll_id).total == 1
        assert db.session.get(Comment, comment_id).status == CommentStatus.PENDING
        assert task_queue(MODERATION).count == 1
    burst(app, "--queue", "moderation")
    with app.app_context():
        assert db.session.get(Comment, comment_id).status == CommentStatus.APPROVED


def test_a_worker_with_no_queue_serves_all_counts_first(app, poll_id) -> None:
    comment_id = queue_moderation_then_recount(app, poll_id)
    burst(app)
    with app.app_context():
        snapshot = db.session.get(ResultSnapshot, poll_id)
        comment = db.session.get(Comment, comment_id)
        assert snapshot.total == 1 and comment.status == CommentStatus.APPROVED
        # Moderation was queued first, yet the recount ran first.
        assert snapshot.computed_at < comment.moderated_at


def test_an_unknown_queue_is_refused_with_the_known_ones() -> None:
    done = subprocess.run(
        [sys.executable, "worker.py", "--queue", "votes"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "invalid choice: 'votes'" in done.stderr and "'counts', 'moderation'" in done.stderr
