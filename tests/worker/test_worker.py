"""The worker: real RQ jobs against the real Redis recompute snapshots equal to direct counts."""

from __future__ import annotations

import subprocess
import sys
import time

import sqlalchemy as sa

from polls_site.core.db import db
from polls_site.core.jobs import task_queue
from polls_site.core.redis import redis_client, rkey, server_epoch
from polls_site.models import Ballot, BallotChoice, ResultSnapshot
from polls_site.polls.jobs import rebuild_dedupe_keys, reconcile_results, request_recompute
from polls_site.polls.recount import compute_snapshot, stale_poll_ids
from polls_site.polls.versions import version_key
from tests.support.app import drain_queue
from tests.support.factories import add_ballots, option_ids
from tests.support.live import ROOT, worker_env
from tests.support.polls import Voting


def direct_counts(poll_id: int) -> dict[int, int]:
    return dict(
        db.session.execute(
            sa.select(BallotChoice.option_id, sa.func.count())
            .where(BallotChoice.poll_id == poll_id)
            .group_by(BallotChoice.option_id)
        ).all()
    )


def vote_as_new_readers(app, poll_id: int, choices: list[int]) -> None:
    for option in choices:
        assert Voting(app.test_client()).vote(poll_id, option).status_code == 200


def test_burst_of_votes_is_one_job_and_the_snapshot_equals_a_direct_count(app, poll_id) -> None:
    a, b, c = option_ids(app, poll_id)
    vote_as_new_readers(app, poll_id, [a, a, b, c, a, b, a])
    with app.app_context():
        assert task_queue().count == 1  # coalesced
    drain_queue(app)
    with app.app_context():
        snapshot = db.session.get(ResultSnapshot, poll_id)
        counts = direct_counts(poll_id)
        assert {r["option_id"]: r["votes"] for r in snapshot.rows if r["votes"]} == counts
        assert snapshot.total == 7 and snapshot.voters == 7
        assert [r["percent"] for r in snapshot.rows] == [57, 29, 14]
        assert redis_client().get(version_key(poll_id)) == str(snapshot.version).encode()
        assert task_queue().count == 0


def test_vote_while_the_job_runs_gets_a_job_of_its_own(app, poll_id) -> None:
    option = option_ids(app, poll_id)[0]
    vote_as_new_readers(app, poll_id, [option])
    with app.app_context():
        # The running job clears the pending marker before it counts...
        from polls_site.core.redis import rkey

        redis_client().delete(rkey("recompute-pending", poll_id))
    # ...so a vote arriving now must not be folded into it.
    vote_as_new_readers(app, poll_id, [option])
    with app.app_context():
        assert task_queue().count == 2
    drain_queue(app)
    with app.app_context():
        assert db.session.get(ResultSnapshot, poll_id).total == 2


def test_recompute_is_idempotent(app, poll_id) -> None:
    vote_as_new_readers(app, poll_id, option_ids(app, poll_id)[:2])
    with app.app_context():
        first = compute_snapshot(poll_id)
        version, rows = first.version, list(first.rows)
        again = compute_snapshot(poll_id)
        assert (again.version, again.rows) == (version, rows)


def test_results_poll_answers_204_from_redis_when_unchanged(app, client, poll_id) -> None:
    vote_as_new_readers(app, poll_id, option_ids(app, poll_id)[:1])
    drain_queue(app)
    with app.app_context():
        version = db.session.get(ResultSnapshot, poll_id).version
    hx = {"HX-Request": "true"}
    # Prove the 204 needs no database: make every query fail.
    original = db.session.execute
    try:
        db.session.execute = None  # type: ignore[assignment]
        unchanged = client.get(f"/w/poll/{poll_id}/results?v={version}", headers=hx)
    finally:
        db.session.execute = original  # type: ignore[assignment]
    assert unchanged.status_code == 204
    assert unchanged.get_data() == b""
    stale = client.get(f"/w/poll/{poll_id}/results?v={version - 1}", headers=hx)
    assert stale.status_code == 200
    html = stale.get_data(as_text=True)
    assert f'data-version="{version}"' in html
    assert f"v={version}" in html and 'hx-trigger="every 1s"' in html
    assert "public" in stale.headers["Cache-Control"]
    assert "<html" not in html
    full = client.get(f"/w/poll/{poll_id}/results?v={version}")
    assert full.status_code == 200 and "<html" in full.get_data(as_text=True)


def test_reconcile_catches_votes_stored_while_redis_was_down(app, poll_id) -> None:
    option = option_ids(app, poll_id)[0]
    add_ballots(app, poll_id, [option], voters=["c:offline"], ip_hash="x")
    with app.app_context():
        assert stale_poll_ids() == [poll_id]
        redis_client().delete(version_key(poll_id))
        assert reconcile_results() == [poll_id]
        snapshot = db.session.get(ResultSnapshot, poll_id)
        assert snapshot.total == 1
        assert redis_client().get(version_key(poll_id)) == str(snapshot.version).encode()
        assert stale_poll_ids() == []


def test_enqueue_failure_is_survivable(app, poll_id) -> None:
    with app.app_context():
        app.extensions["polls_redis"].connection_pool.connection_kwargs["port"] = 1
        app.extensions["polls_redis"].connection_pool.reset()
        try:
            assert request_recompute(poll_id) is False
        finally:
            app.extensions["polls_redis"].connection_pool.reset()


def test_worker_script_in_burst_mode(app, poll_id) -> None:
    vote_as_new_readers(app, poll_id, option_ids(app, poll_id)[:3])
    env = worker_env(app)
    done = subprocess.run(
        [sys.executable, "worker.py", "--burst"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    with app.app_context():
        assert db.session.get(ResultSnapshot, poll_id).total == 3
        assert task_queue().count == 0


def test_recounts_of_a_busy_poll_keep_the_minimum_interval(app, poll_id) -> None:
    app.config["RECOMPUTE_MIN_INTERVAL"] = 2.0
    option = option_ids(app, poll_id)[0]
    vote_as_new_readers(app, poll_id, [option])
    with app.app_context():
        assert task_queue().count == 1  # a lone vote is recounted at once
    drain_queue(app)
    vote_as_new_readers(app, poll_id, [option, option])
    with app.app_context():
        queue = task_queue()
        # The poll was just recounted: the next recount waits in the scheduler.
        assert queue.count == 0
        assert queue.scheduled_job_registry.count == 1
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        drain_queue(app, with_scheduler=True)
        with app.app_context():
            if db.session.get(ResultSnapshot, poll_id, populate_existing=True).total == 3:
                break
    with app.app_context():
        assert db.session.get(ResultSnapshot, poll_id, populate_existing=True).total == 3


def test_reconcile_rebuilds_dedupe_keys_after_redis_lost_them(app, client, poll_id) -> None:
    reader = Voting(client)
    assert reader.vote(poll_id, option_ids(app, poll_id)[0]).status_code == 200
    with app.app_context():
        reconcile_results()  # Redis as it was: nothing to rebuild after this
        prefix = app.config["REDIS_KEY_PREFIX"]
        for key in redis_client().scan_iter(match=f"{prefix}*"):
            redis_client().delete(key)  # Redis restarted empty
    forgotten = client.get(f"/w/poll/{poll_id}").get_data(as_text=True)
    assert 'name="option"' in forgotten  # the widget cannot tell yet...
    with app.app_context():
        assert rebuild_dedupe_keys() == 1
        assert rebuild_dedupe_keys() == 0  # once per loss of Redis data
    remembered = client.get(f"/w/poll/{poll_id}").get_data(as_text=True)
    assert "Вы проголосовали в этом опросе." in remembered
    assert 'name="option"' not in remembered


def test_reconcile_rebuilds_dedupe_keys_a_promoted_replica_lacks(app, client, poll_id) -> None:
    reader = Voting(client)
    assert reader.vote(poll_id, option_ids(app, poll_id)[0]).status_code == 200
    with app.app_context():
        assert rebuild_dedupe_keys() == 1  # the marker names this server's epoch
        assert rebuild_dedupe_keys() == 0
        key = rkey("dedupe-rebuilt")
        assert redis_client().get(key) == server_epoch(redis_client()).encode()
        # A replica promoted by Sentinel: the marker was replicated, the last dedupe key was
        # not, and the server's replication id is a new one.
        redis_client().set(key, "the-old-primary's-replication-id")
        for found in redis_client().scan_iter(match=rkey("voted", poll_id, "*")):
            redis_client().delete(found)
        assert rebuild_dedupe_keys() == 1
    remembered = client.get(f"/w/poll/{poll_id}").get_data(as_text=True)
    assert "Вы проголосовали в этом опросе." in remembered


def test_retention_clears_old_ip_hashes_only(app, poll_id) -> None:
    from datetime import timedelta

    from polls_site.models import utcnow
    from polls_site.worker.retention import purge_expired_ip_hashes

    option = option_ids(app, poll_id)[0]
    ages = (120, 91, 5)
    add_ballots(
        app,
        poll_id,
        [option] * len(ages),
        voters=[f"c:old{i}" for i in range(len(ages))],
        ip_hash=[f"h{i}" for i in range(len(ages))],
        created_at=[utcnow() - timedelta(days=age) for age in ages],
    )
    with app.app_context():
        assert purge_expired_ip_hashes() == 2
        assert purge_expired_ip_hashes() == 0
        hashes = dict(db.session.execute(sa.select(Ballot.voter_key, Ballot.ip_hash)).all())
    assert hashes == {"c:old0": None, "c:old1": None, "c:old2": "h2"}


def test_worker_stops_gracefully_on_sigterm(app) -> None:
    import signal

    env = worker_env(app)
    worker = subprocess.Popen(
        [sys.executable, "worker.py"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        # Its first reconcile job done means its signal handlers are in place.
        deadline = time.monotonic() + 60
        seen = ""
        while time.monotonic() < deadline and "Job OK" not in seen:
            line = worker.stdout.readline()
            if not line:
                break
            seen += line
        assert "Job OK" in seen, seen
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(timeout=30) == 0
    finally:
        if worker.poll() is None:
            worker.kill()
        worker.stdout.close()


def test_retention_clears_old_comment_ip_hashes_and_user_agents(app) -> None:
    from datetime import timedelta

    from polls_site.models import Comment, Thread, utcnow
    from polls_site.worker.retention import purge_expired_ip_hashes

    with app.app_context():
        thread = Thread(key="retention")
        db.session.add(thread)
        db.session.flush()
        for age in (120, 91, 5):
            db.session.add(
                Comment(
                    thread_id=thread.id,
                    author_name="Читатель",
                    text=f"{age}",
                    html=f"<p>{age}</p>",
                    voter_key=f"c:{age}",
                    ip_hash=f"h{age}" if age != 91 else None,
                    user_agent="Mozilla/5.0",
                    created_at=utcnow() - timedelta(days=age),
                )
            )
        db.session.commit()
        assert purge_expired_ip_hashes() == 2
        assert purge_expired_ip_hashes() == 0
        rows = db.session.execute(
            sa.select(Comment.text, Comment.ip_hash, Comment.user_agent, Comment.revision)
        ).all()
    assert sorted(rows) == [
        ("120", None, None, 1),
        ("5", "h5", "Mozilla/5.0", 1),
        ("91", None, None, 1),
    ]
