"""Redis (a private one: it keeps nothing on disk) killed and restarted while readers vote
against gunicorn and a real worker: every accepted vote is a ballot, the app returns to
Redis by itself, the snapshot, versions, dedupe keys and comment counts are rebuilt from
the database, and the logs say what happened."""

from __future__ import annotations

import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
import sqlalchemy as sa
from redis import Redis
from rq import Worker

from polls_site.comments.status import comment_count_key
from polls_site.core.db import db
from polls_site.core.redis import rkey
from polls_site.models import Ballot, ResultSnapshot
from polls_site.polls.limits import dedupe_key
from polls_site.polls.versions import version_key
from polls_site.widget.voters import NEW_VOTER, VOTER_HEADER
from tests.support.factories import make_comment, make_poll, make_thread, option_ids
from tests.support.faults import PrivateRedis, wait_for
from tests.support.live import TOKEN_RE, LiveServer

pytestmark = [pytest.mark.live, pytest.mark.slow]

# What the widget script sends for a reader with empty storage (docs/identity.md).
HTMX = {"HX-Request": "true", VOTER_HEADER: NEW_VOTER}
PER_PHASE = 15
TIMEOUT = 30


def vote_as_a_new_reader(server: LiveServer, poll_id: int, option: int) -> int:
    """A new browser opens the widget and votes; the HTTP status of the vote."""
    with requests.Session() as browser:
        page = browser.get(server.url(f"/w/poll/{poll_id}"), timeout=TIMEOUT)
        assert page.status_code == 200, page.text[:300]
        token = TOKEN_RE.search(page.text).group(1)
        reply = browser.post(
            server.url(f"/w/poll/{poll_id}/vote"),
            data={"token": token, "option": str(option)},
            headers=HTMX,
            timeout=TIMEOUT,
        )
        return reply.status_code


class VotingCrowd:
    """Readers voting on three threads until stopped; each result is tagged with a phase."""

    def __init__(self, server: LiveServer, poll_id: int, options: list[int]) -> None:
        self.server, self.poll_id, self.options = server, poll_id, options
        self.phase = "before"
        self.results: list[tuple[str, int]] = []
        self.stop = threading.Event()
        self._lock = threading.Lock()

    def run(self, index: int) -> None:
        while not self.stop.is_set():
            phase = self.phase
            option = self.options[len(self.results) % len(self.options)]
            status = vote_as_a_new_reader(self.server, self.poll_id, option)
            with self._lock:
                self.results.append((phase, status))

    def accepted(self, phase: str) -> int:
        with self._lock:
            return sum(1 for p, s in self.results if p == phase and s == 200)


def count_ballots(server: LiveServer, poll_id: int) -> int:
    with server.app.app_context():
        count = db.session.scalar(
            sa.select(sa.func.count(Ballot.id)).where(Ballot.poll_id == poll_id)
        )
        db.session.remove()
    return count


def test_votes_before_during_and_after_a_redis_restart(
    live_factory, private_redis: PrivateRedis
) -> None:
    server = live_factory(
        REDIS_URL=private_redis.url,
        RECONCILE_SECONDS=1,
        VOTE_LIMIT_IP_POLL="100000/600",
        VOTE_LIMIT_IP="100000/600",
        VOTE_LIMIT_NET_POLL="100000/600",
    )
    app = server.app
    poll_id = make_poll(app)
    options = option_ids(app, poll_id)
    thread_id = make_thread(app, key="restart-article")
    for _ in range(3):
        make_comment(app, thread=thread_id)
    counts_url = server.url("/api/comments/count?key=restart-article")
    assert requests.get(counts_url, timeout=TIMEOUT).json() == {"restart-article": 3}
    server.start_worker()
    redis = Redis.from_url(private_redis.url)
    wait_for(lambda: Worker.count(connection=redis), 30, "the worker to register", step=0.1)

    crowd = VotingCrowd(server, poll_id, options)
    with ThreadPoolExecutor(3) as pool:
        runners = [pool.submit(crowd.run, i) for i in range(3)]
        try:
            wait_for(lambda: crowd.accepted("before") >= PER_PHASE, 60, "votes before")
            private_redis.kill()
            crowd.phase = "down"
            wait_for(lambda: crowd.accepted("down") >= PER_PHASE, 60, "votes while Redis is down")
            private_redis.start()
            restarted = time.monotonic()
            crowd.phase = "after"
            wait_for(lambda: crowd.accepted("after") >= PER_PHASE, 60, "votes after the restart")
        finally:
            crowd.stop.set()
            for runner in runners:
                runner.result(timeout=TIMEOUT)

    statuses = Counter(crowd.results)
    # Every vote of a new reader is accepted, Redis or not: nothing refused, nothing lost.
    assert {status for _, status in statuses} == {200}, (statuses, server.log())
    accepted = sum(statuses.values())
    assert count_ballots(server, poll_id) == accepted

    # Back to normal by itself: the worker reconciles, republishes and rebuilds.
    def rebuilt() -> bool:
        with app.app_context():
            snapshot = db.session.get(ResultSnapshot, poll_id, populate_existing=True)
            voters = list(
                db.session.scalars(sa.select(Ballot.voter_key).where(Ballot.poll_id == poll_id))
            )
            db.session.remove()
            if snapshot is None or snapshot.voters != accepted:
                return False
            published = redis.get(version_key(poll_id))
            with app.test_request_context():
                keys = [dedupe_key(poll_id, v) for v in voters]
            return published == str(snapshot.version).encode() and redis.exists(*keys) == len(keys)

    wait_for(rebuilt, 30, "snapshot, version and dedupe keys rebuilt", step=0.2)
    recovered = time.monotonic() - restarted
    print(f"rebuilt {recovered:.1f}s after Redis came back")
    assert recovered < 20, f"took {recovered:.1f}s"

    # Readers see the truth again: the results API and the comment count (cached anew).
    results = requests.get(server.url(f"/api/polls/{poll_id}/results"), timeout=TIMEOUT).json()
    assert results["voters"] == accepted
    assert sum(o["percent"] for o in results["options"]) == 100
    assert requests.get(counts_url, timeout=TIMEOUT).json() == {"restart-article": 3}
    with app.test_request_context():
        assert redis.get(comment_count_key("restart-article")) == b"3"
        assert redis.exists(rkey("dedupe-rebuilt"))
    app_log, worker_log = server.log(), server.log("worker.log")
    assert "Redis unreachable" in app_log
    assert "vote rate limiting and dedupe DISABLED" in app_log
    assert "Redis reachable again" in app_log
    assert "vote dedupe keys from the ballots" in worker_log
    redis.close()


def test_a_worker_started_while_redis_is_down_waits_for_it(
    live_factory, private_redis: PrivateRedis
) -> None:
    server = live_factory(REDIS_URL=private_redis.url)
    private_redis.kill()
    worker = server.start_worker()
    wait_for(lambda: "the worker tries again" in server.log("worker.log"), 30, "a retry line")
    assert worker.poll() is None, server.log("worker.log")
    private_redis.start()
    redis = Redis.from_url(private_redis.url)
    wait_for(lambda: Worker.count(connection=redis), 30, "the worker to register", step=0.1)
    redis.close()
