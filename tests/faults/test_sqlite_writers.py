"""Concurrent writers against gunicorn (4 processes) and a worker: votes, comments and the
moderation job write at once while readers load the widgets. On SQLite only one writer
runs at a time; the busy timeout makes the others wait, so no reader ever sees
"database is locked" (and PostgreSQL, run the same way, shows the same)."""

from __future__ import annotations

import re
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
import sqlalchemy as sa

from polls_site.core.db import db
from polls_site.models import Ballot, Comment, CommentStatus
from tests.support.factories import make_poll, make_thread, option_ids
from tests.support.faults import wait_for
from tests.support.live import TOKEN_RE, LiveServer

pytestmark = [pytest.mark.live, pytest.mark.slow]

WRITERS = 40
TIMEOUT = 60
PORTAL_REFERER = {"Referer": "http://127.0.0.1:8001/news/1.html"}


def together(calls) -> list:
    barrier = threading.Barrier(len(calls), timeout=TIMEOUT)

    def run(call):
        barrier.wait()
        return call()

    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(run, calls))


def test_votes_comments_moderation_and_readers_at_once(live_factory) -> None:
    server: LiveServer = live_factory(
        VOTE_LIMIT_IP_POLL="100000/600",
        VOTE_LIMIT_IP="100000/600",
        VOTE_LIMIT_NET_POLL="100000/600",
        COMMENT_LIMIT_IP="100000/600",
        COMMENT_LIMIT_VOTER="100000/600",
    )
    poll_id = make_poll(server.app)
    options = option_ids(server.app, poll_id)
    make_thread(server.app, key="busy-article")
    server.start_worker()
    with requests.get(server.url(f"/w/poll/{poll_id}"), timeout=TIMEOUT) as page:
        vote_token = TOKEN_RE.search(page.text).group(1)
    page = requests.get(
        server.url("/w/comments/busy-article"), headers=PORTAL_REFERER, timeout=TIMEOUT
    )
    comment_token = TOKEN_RE.search(page.text).group(1)

    def vote(i: int):
        def call() -> tuple[str, int, str]:
            reply = requests.post(
                server.url(f"/w/poll/{poll_id}/vote"),
                data={"token": vote_token, "option": str(options[i % 3])},
                cookies={},
                headers={"HX-Request": "true", "User-Agent": f"voter-{i}"},
                timeout=TIMEOUT,
            )
            return "vote", reply.status_code, reply.text

        return call

    def comment(i: int):
        def call() -> tuple[str, int, str]:
            reply = requests.post(
                server.url("/w/comments/busy-article"),
                data={
                    "token": comment_token,
                    "name": f"Читатель {i}",
                    "text": f"Комментарий {i}: {'разные слова ' * (i % 5 + 1)}",
                    "website": "",
                },
                headers={"HX-Request": "true", "User-Agent": f"commenter-{i}"},
                timeout=TIMEOUT,
            )
            return "comment", reply.status_code, reply.text

        return call

    def read(i: int):
        def call() -> tuple[str, int, str]:
            url = "/w/comments/busy-article" if i % 2 else f"/w/poll/{poll_id}/results"
            reply = requests.get(server.url(url), headers=PORTAL_REFERER, timeout=TIMEOUT)
            return "read", reply.status_code, reply.text

        return call

    calls = [vote(i) for i in range(WRITERS)] + [comment(i) for i in range(WRITERS)]
    calls += [read(i) for i in range(WRITERS)]
    replies = together(calls)

    statuses = Counter((kind, status) for kind, status, _ in replies)
    assert statuses == {("vote", 200): WRITERS, ("comment", 200): WRITERS, ("read", 200): WRITERS}
    assert not [body for _, _, body in replies if re.search("locked|Traceback", body)]
    with server.app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Ballot.id))) == WRITERS
        assert db.session.scalar(sa.select(sa.func.count(Comment.id))) == WRITERS
        db.session.remove()

    def moderated() -> bool:
        with server.app.app_context():
            pending = db.session.scalar(
                sa.select(sa.func.count(Comment.id)).where(Comment.status == CommentStatus.PENDING)
            )
            db.session.remove()
        return pending == 0

    wait_for(moderated, 40, "every comment moderated", step=0.2)
    for log in (server.log(), server.log("worker.log")):
        assert "database is locked" not in log
        assert '"level": "error"' not in log
