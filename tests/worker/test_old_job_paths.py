"""Jobs queued under the module paths of the old layout still run on a real worker (one release)."""

from __future__ import annotations

from rq.job import JobStatus

from polls_site.core.db import db
from polls_site.core.jobs import task_queue
from polls_site.core.redis import redis_client, rkey
from polls_site.models import Comment, CommentStatus, ResultSnapshot
from tests.support.app import drain_queue
from tests.support.factories import make_comment, make_thread, option_ids
from tests.support.polls import Voting


def test_jobs_queued_under_their_old_paths_run(app, poll_id) -> None:
    assert Voting(app.test_client()).vote(poll_id, option_ids(app, poll_id)[0]).status_code == 200
    thread_id = make_thread(app)
    comment_id = make_comment(
        app, "Спасибо за статью", thread=thread_id, status=CommentStatus.PENDING
    )
    with app.app_context():
        # Only the old-path jobs count: drop the recount the vote itself queued.
        task_queue().empty()
        redis_client().delete(rkey("recompute-pending", poll_id))
        assert app.config["RQ_QUEUE"] == "default"
        jobs = [
            task_queue().enqueue("polls_site.tasks.recompute_results", poll_id),
            task_queue().enqueue("polls_site.tasks.reconcile_results"),
            task_queue().enqueue("polls_site.tasks.purge_expired_ip_hashes"),
            task_queue().enqueue("polls_site.lifecycle.run_schedule"),
            task_queue().enqueue("polls_site.moderation_tasks.moderate_comment", comment_id),
            task_queue().enqueue("polls_site.moderation_tasks.reconcile_comments"),
        ]
    drain_queue(app)
    with app.app_context():
        for job in jobs:
            job.refresh()
            assert job.get_status() == JobStatus.FINISHED, (job.func_name, job.exc_info)
        assert db.session.get(ResultSnapshot, poll_id).total == 1
        assert db.session.get(Comment, comment_id).status == CommentStatus.APPROVED
