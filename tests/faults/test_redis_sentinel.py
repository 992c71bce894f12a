"""A Sentinel failover under votes and comments (issue 20): the primary killed with
``kill -9``, a replica promoted, gunicorn and the worker follow it; every accepted vote and
comment is stored once and counted, the dedupe keys and versions the replica never got
are rebuilt, and the queues keep draining. The times it took are printed for
docs/faults.md."""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

import pytest
import requests
import sqlalchemy as sa
from redis import Redis
from rq import Worker

from polls_site.core.db import db
from polls_site.core.redis import rkey, worker_redis
from polls_site.models import Ballot, Comment, CommentStatus, ResultSnapshot, Thread
from polls_site.polls.limits import dedupe_key
from polls_site.polls.versions import version_key
from polls_site.widget.voters import NEW_VOTER, VOTER_HEADER
from tests.support.factories import make_poll, make_thread, option_ids
from tests.support.faults import SentinelGroup, wait_for
from tests.support.live import TOKEN_RE, LiveServer

pytestmark = [pytest.mark.live, pytest.mark.slow]

HTMX = {"HX-Request": "true", VOTER_HEADER: NEW_VOTER}
PORTAL = "http://127.0.0.1:8001"  # the default EMBED_ALLOWED_ORIGINS
THREAD = "sentinel-article"
VOTES_PER_PHASE = 15
COMMENTS_PER_PHASE = 4
TIMEOUT = 30
UNLIMITED = "100000/600"


def vote(server: LiveServer, poll_id: int, option: int) -> int:
    """A new reader opens the poll widget and votes; the vote's HTTP status."""
    with requests.Session() as browser:
        page = browser.get(server.url(f"/w/poll/{poll_id}"), timeout=TIMEOUT)
        assert page.status_code == 200, page.text[:300]
        reply = browser.post(
            server.url(f"/w/poll/{poll_id}/vote"),
            data={"token": TOKEN_RE.search(page.text).group(1), "option": str(option)},
            headers=HTMX,
            timeout=TIMEOUT,
        )
        return reply.status_code


def comment(server: LiveServer, text: str) -> int:
    """A new reader opens the comment widget and posts ``text``; the post's HTTP status."""
    with requests.Session() as browser:
        url = server.url(f"/w/comments/{THREAD}")
        page = browser.get(url, headers={"Referer": f"{PORTAL}/news/1.html"}, timeout=TIMEOUT)
        assert page.status_code == 200, page.text[:300]
        data = {"token": TOKEN_RE.search(page.text).group(1), "name": "Читатель", "text": text}
        reply = browser.post(url, data={**data, "website": ""}, headers=HTMX, timeout=TIMEOUT)
        return reply.status_code


class Crowd:
    """Threads of new readers voting and commenting until stopped; results by phase."""

    def __init__(self, server: LiveServer, poll_id: int, options: list[int]) -> None:
        self.server, self.poll_id, self.options = server, poll_id, options
        self.phase = "before"
        self.votes: list[tuple[str, int]] = []
        self.comments: list[tuple[str, int, str]] = []
        self.stop = threading.Event()
        self._lock = threading.Lock()

    def vote_loop(self) -> None:
        while not self.stop.is_set():
            phase = self.phase
            status = vote(self.server, self.poll_id, self.options[len(self.votes) % 3])
            with self._lock:
                self.votes.append((phase, status))

    def comment_loop(self) -> None:
        while not self.stop.is_set():
            phase = self.phase
            with self._lock:
                text = f"Отзыв читателя номер {len(self.comments) + 1}: спасибо за новость."
            status = comment(self.server, text)
            with self._lock:
                self.comments.append((phase, status, text))

    def accepted(self, phase: str) -> tuple[int, int]:
        with self._lock:
            votes = sum(1 for p, s in self.votes if p == phase and 200 <= s < 300)
            comments = sum(1 for p, s, _ in self.comments if p == phase and 200 <= s < 300)
        return votes, comments

    def enough(self, phase: str) -> bool:
        votes, comments = self.accepted(phase)
        return votes >= VOTES_PER_PHASE and comments >= COMMENTS_PER_PHASE


def ballot_voters(server: LiveServer, poll_id: int) -> list[str]:
    with server.app.app_context():
        voters = list(
            db.session.scalars(sa.select(Ballot.voter_key).where(Ballot.poll_id == poll_id))
        )
        db.session.remove()
    return voters


def dedupe_keys(server: LiveServer, poll_id: int, voters: list[str]) -> list[str]:
    with server.app.test_request_context():
        return [dedupe_key(poll_id, voter) for voter in voters]


def lose_the_last_writes(
    group: SentinelGroup, server: LiveServer, poll_id: int
) -> tuple[list[str], int]:
    """Remove, on the replica only, the dedupe keys of every ballot so far and the poll's
    version: as if replication (asynchronous) had not carried them before the primary
    died. A write on a replica is not replicated, and its primary never resends it."""
    replica = Redis(port=group.replica.port)
    replica.config_set("replica-read-only", "no")
    keys = dedupe_keys(server, poll_id, ballot_voters(server, poll_id))
    with server.app.test_request_context():
        lost = replica.delete(*keys, version_key(poll_id))
    replica.config_set("replica-read-only", "yes")
    replica.close()
    return keys, lost


def first_logged(log: str, phrases: tuple[str, ...], since: float) -> float:
    """Seconds from ``since`` (a Unix time) to the first JSON log line after it that holds
    one of ``phrases``."""
    for line in log.splitlines():
        if line.startswith("{") and any(phrase in line for phrase in phrases):
            at = datetime.fromisoformat(json.loads(line)["ts"]).timestamp()
            if at > since:
                return at - since
    raise AssertionError(f"no line with {phrases} in the log:\n{log[-3000:]}")


class WriteClock:
    """When the promoted replica first takes a write from the app: its per-address vote
    counter (INCR on every vote attempt) grows past what it held at the kill."""

    def __init__(self, port: int, pattern: str) -> None:
        self.client = Redis(port=port, socket_timeout=1)
        self.pattern = pattern
        self.start = self.total()

    def total(self) -> int:
        keys = list(self.client.scan_iter(match=self.pattern, count=1000))
        return sum(int(v) for v in self.client.mget(keys) if v is not None) if keys else 0

    def wrote(self) -> bool:
        return self.total() > self.start


def test_votes_and_comments_through_a_sentinel_failover(
    live_factory, sentinel_group: SentinelGroup
) -> None:
    server = live_factory(
        REDIS_URL="",
        REDIS_SENTINELS=sentinel_group.setting,
        REDIS_SENTINEL_MASTER=SentinelGroup.MASTER,
        RECONCILE_SECONDS=2,
        VOTE_LIMIT_IP_POLL=UNLIMITED,
        VOTE_LIMIT_IP=UNLIMITED,
        VOTE_LIMIT_NET_POLL=UNLIMITED,
        COMMENT_LIMIT_IP=UNLIMITED,
        COMMENT_LIMIT_VOTER=UNLIMITED,
    )
    app = server.app
    poll_id = make_poll(app)
    options = option_ids(app, poll_id)
    thread_id = make_thread(app, key=THREAD)
    server.start_worker()
    redis = worker_redis(app.config)  # follows the primary, as the worker's client does
    wait_for(lambda: Worker.count(connection=redis), 30, "the worker to register", step=0.1)

    crowd = Crowd(server, poll_id, options)
    started = time.monotonic()
    with ThreadPoolExecutor(4) as pool:
        runners = [pool.submit(crowd.vote_loop) for _ in range(3)]
        runners.append(pool.submit(crowd.comment_loop))
        try:
            wait_for(lambda: crowd.enough("before"), 90, "votes and comments before the kill")
            lost_keys, lost = lose_the_last_writes(sentinel_group, server, poll_id)
            clock = WriteClock(sentinel_group.replica.port, app.config["REDIS_KEY_PREFIX"] + "rl:*")
            killed_at = time.time()
            sentinel_group.primary.kill()
            crowd.phase = "failover"
            promoted_port = wait_for(sentinel_group.primary_port, 30, "a promoted replica")
            while promoted_port == sentinel_group.primary.port:
                promoted_port = wait_for(sentinel_group.primary_port, 30, "a promoted replica")
            wait_for(clock.wrote, 30, "the app's first write to the promoted replica", step=0.02)
            crowd.phase = "after"
            new_primary = Redis(port=promoted_port)
            wait_for(
                lambda: new_primary.exists(*lost_keys) == len(lost_keys),
                60,
                "the lost dedupe keys rebuilt on the new primary",
                step=0.1,
            )
            wait_for(lambda: crowd.enough("after"), 90, "votes and comments after the failover")
        finally:
            crowd.stop.set()
            for runner in runners:
                runner.result(timeout=TIMEOUT)
    stopped = time.monotonic()

    assert promoted_port == sentinel_group.replica.port
    assert lost == len(lost_keys) + 1, "the replica lacked nothing: the test proves nothing"
    vote_statuses = Counter(status for _, status in crowd.votes)
    comment_statuses = Counter(status for _, status, _ in crowd.comments)
    # Redis missing for a moment refuses no reader: the database takes every vote.
    assert set(vote_statuses) == {200}, (vote_statuses, server.log())
    assert set(comment_statuses) == {200}, (comment_statuses, server.log())
    accepted_votes = len(crowd.votes)
    accepted_texts = [text for _, _, text in crowd.comments]

    def exact() -> bool:
        """Stored once, counted, republished, rebuilt, moderated."""
        with app.app_context():
            snapshot = db.session.get(ResultSnapshot, poll_id, populate_existing=True)
            texts = list(
                db.session.scalars(sa.select(Comment.text).where(Comment.thread_id == thread_id))
            )
            pending = db.session.scalar(
                sa.select(sa.func.count(Comment.id)).where(
                    Comment.thread_id == thread_id, Comment.status == CommentStatus.PENDING
                )
            )
            approved = db.session.scalar(
                sa.select(sa.func.count(Comment.id)).where(
                    Comment.thread_id == thread_id, Comment.status == CommentStatus.APPROVED
                )
            )
            count = db.session.get(Thread, thread_id, populate_existing=True).comment_count
            db.session.remove()
        assert sorted(texts) == sorted(accepted_texts)  # each accepted comment once
        voters = ballot_voters(server, poll_id)
        assert len(voters) == len(set(voters)) == accepted_votes  # each accepted vote once
        if snapshot is None or snapshot.voters != accepted_votes or pending or count != approved:
            return False
        published = new_primary.get(version_key_of(poll_id))
        keys = dedupe_keys(server, poll_id, voters)
        return published == str(snapshot.version).encode() and new_primary.exists(*keys) == len(
            keys
        )

    def version_key_of(poll: int) -> str:
        with app.test_request_context():
            return version_key(poll)

    wait_for(exact, 90, "results, versions, dedupe keys and moderation exact", step=0.2)
    settled, load = time.monotonic() - stopped, stopped - started
    results = requests.get(server.url(f"/api/polls/{poll_id}/results"), timeout=TIMEOUT).json()
    assert results["voters"] == accepted_votes
    assert sum(o["percent"] for o in results["options"]) == 100
    with app.app_context():
        approved = db.session.get(Thread, thread_id).comment_count
        db.session.remove()
    counts_url = server.url(f"/api/comments/count?key={THREAD}")
    assert requests.get(counts_url, timeout=TIMEOUT).json() == {THREAD: approved}

    with app.test_request_context():
        marker = new_primary.get(rkey("dedupe-rebuilt"))
    assert marker == new_primary.info("replication")["master_replid"].encode()
    app_log, worker_log = server.log(), server.log("worker.log")
    # The times, as the processes logged them (this test's threads share two busy cores).
    promoted = sentinel_group.switched_at() - killed_at
    app_back = first_logged(app_log, ("Redis reachable again", "breaker is reset"), killed_at)
    worker_back = first_logged(worker_log, ("another replication id",), killed_at)
    rebuilt = first_logged(worker_log, ("vote dedupe keys from the ballots",), killed_at)
    assert 0 < promoted < app_back < 10, (promoted, app_back)
    assert rebuilt < 15, rebuilt
    print(
        f"\nfailover: {accepted_votes} votes and {len(accepted_texts)} comments accepted, all "
        f"200, over {load:.0f} s; after the kill -9: replica promoted at {promoted:.1f} s, "
        f"first web process back on Redis at {app_back:.1f} s, worker reconciling at "
        f"{worker_back:.1f} s, {len(lost_keys)} lost dedupe keys rebuilt at {rebuilt:.1f} s; "
        f"everything exact {settled:.1f} s after the load stopped; breaker resets: "
        f"{app_log.count('circuit breaker is reset')}"
    )
    new_primary.close()
    redis.close()
