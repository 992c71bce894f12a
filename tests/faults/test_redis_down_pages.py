"""With Redis unreachable (a dead port, the breaker open after the first failure): the
widgets render from the database, counts and feeds answer, and the staff area works —
log in, read the queue, decide a comment."""

from __future__ import annotations

import time

import pytest
from flask import Flask

from polls_site.models import CommentStatus, Role
from tests.support.comments import PORTAL, comment_state
from tests.support.factories import KEY, make_comment, make_poll, make_staff, make_thread
from tests.support.staff import StaffClient

HTMX = {"HX-Request": "true"}


@pytest.fixture
def down(app_without_redis: Flask) -> Flask:
    return app_without_redis


def test_widgets_counts_and_feeds_render_from_the_database(down: Flask) -> None:
    poll_id = make_poll(down)
    thread_id = make_thread(down)
    make_comment(down, "Одобренный комментарий", thread=thread_id)
    client = down.test_client()
    started = time.perf_counter()
    pages = {
        f"/w/poll/{poll_id}": "Как вы относитесь к вопросу?",
        f"/w/poll/{poll_id}?view=results": "Да",
        f"/w/comments/{KEY}": "Одобренный комментарий",
        f"/w/comments/{KEY}/-/badge": "1",
        f"/w/comments/{KEY}/-/feed.atom": "Одобренный комментарий",
        "/w/comments/-/feed.atom": "Одобренный комментарий",
        f"/api/comments/count?key={KEY}": '"bishkek-astana-dialog":1',
        f"/api/polls/{poll_id}/results": '"total":0',
    }
    for url, expected in pages.items():
        for headers in ({}, HTMX):
            reply = client.get(url, headers={"Referer": f"{PORTAL}/news/1.html", **headers})
            assert reply.status_code == 200, (url, reply.status_code)
            body = reply.get_data(as_text=True).replace(" ", "")
            assert expected.replace(" ", "") in body, url
    reply = client.get(f"/w/comments/{KEY}/-/updates?v=0", headers=HTMX)
    assert reply.status_code == 200
    # Sixteen pages in well under the ~0.5 s each would cost without the breaker.
    assert time.perf_counter() - started < 5


def test_staff_log_in_read_the_queue_and_decide(down: Flask) -> None:
    make_staff(down, "mod", Role.MODERATOR)
    thread_id = make_thread(down)
    comment_id = make_comment(
        down, "Ждёт модератора", thread=thread_id, status=CommentStatus.REVIEW
    )
    staff = StaffClient(down.test_client())
    assert staff.login("mod").status_code == 303
    queue = staff.get("/staff/queue")
    assert queue.status_code == 200
    assert "Ждёт модератора" in queue.get_data(as_text=True)
    _status, revision = comment_state(down, comment_id)
    reply = staff.post(f"/staff/comments/{comment_id}/approve", {"revision": str(revision)})
    assert reply.status_code in (200, 303)
    assert comment_state(down, comment_id)[0] == CommentStatus.APPROVED
    assert staff.get("/staff/audit").status_code == 200
