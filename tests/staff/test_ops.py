"""Admin operations: the queue view (failed jobs, retry) and a commenter's export/erase."""

from __future__ import annotations

import json

import sqlalchemy as sa
from flask import Flask

from polls_site.comments.likes import add_like, like_mark_key
from polls_site.comments.threads import find_thread
from polls_site.core.db import db
from polls_site.core.redis import redis_client
from polls_site.models import Ban, Comment, CommentLike, CommentReport, CommentStatus
from tests.support.app import drain_queue
from tests.support.comments import approved_count, thread_count
from tests.support.factories import make_comment
from tests.support.staff import audit_rows


def broken_job(comment_id: int) -> None:
    """A job that always fails (run by the in-process worker)."""
    raise RuntimeError(f"comment {comment_id} broke the job")


def test_failed_job_is_shown_with_its_error_and_can_be_retried(app: Flask, admin) -> None:
    with app.app_context():
        queue = app.extensions["polls_queues"]["counts"]
        job = queue.enqueue(f"{__name__}.broken_job", 42)
    drain_queue(app)
    page = admin.get("/staff/jobs").get_data(as_text=True)
    assert queue.name in page
    assert job.id in page and "comment 42 broke the job" in page
    reply = admin.post(f"/staff/jobs/{queue.name}/{job.id}/retry")
    assert reply.status_code == 303
    with app.app_context():
        assert queue.count == 1 and queue.failed_job_registry.count == 0
    [row] = audit_rows(app, "job.retry")
    assert row.target_id == job.id and row.staff_name == "boss"
    again = admin.post(f"/staff/jobs/{queue.name}/{job.id}/retry")
    assert again.status_code == 303
    assert "Этой задачи уже нет среди упавших." in admin.get("/staff/jobs").get_data(True)
    assert admin.post(f"/staff/jobs/other-queue/{job.id}/retry").status_code == 404


def test_jobs_page_without_redis_says_so(app_without_redis: Flask) -> None:
    from polls_site.models import Role
    from tests.support.factories import make_staff
    from tests.support.staff import StaffClient

    make_staff(app_without_redis, "boss", Role.ADMIN)
    admin = StaffClient(app_without_redis.test_client())
    assert admin.login("boss").status_code == 303
    reply = admin.get("/staff/jobs")
    assert reply.status_code == 503
    assert "Redis недоступен" in reply.get_data(as_text=True)


def _their_comments(app: Flask) -> list[int]:
    return [
        make_comment(
            app,
            "мой первый",
            voter_key="c:asker",
            ip_hash="ip-a",
            author_name="Айгуль",
            status=CommentStatus.REVIEW,
        ),
        make_comment(
            app,
            "мой второй",
            voter_key="c:asker",
            ip_hash="ip-b",
            author_name="Айгуль",
            status=CommentStatus.APPROVED,
        ),
    ]


def _like(app: Flask, comment_id: int, voter_key: str) -> None:
    with app.app_context():
        assert add_like(comment_id, voter_key, find_thread("article-1"))[0]


def test_find_and_export_a_commenters_comments(app: Flask, admin) -> None:
    ids = _their_comments(app)
    other = make_comment(
        app, "чужой", voter_key="c:other", author_name="Айгуль", status=CommentStatus.REVIEW
    )
    _like(app, other, "c:asker")
    page = admin.get("/staff/privacy?voter_key=c:asker").get_data(as_text=True)
    assert "мой первый" in page and "мой второй" in page and "чужой" not in page
    by_name = admin.get("/staff/privacy?name=Айгуль").get_data(as_text=True)
    assert "чужой" in by_name
    reply = admin.post("/staff/privacy/export", {"voter_key": "c:asker"})
    assert reply.status_code == 200
    assert reply.mimetype == "application/json"
    assert "attachment" in reply.headers["Content-Disposition"]
    data = json.loads(reply.get_data(as_text=True))
    exported = data["comments"]
    assert [c["id"] for c in exported] == ids
    assert exported[0]["text"] == "мой первый" and exported[0]["ip_hash"] == "ip-a"
    assert [like["comment_id"] for like in data["likes_given"]] == [other]
    [row] = audit_rows(app, "privacy.export")
    assert row.after == {"ids": ids, "likes": 1, "reports": 0}
    # Likes have no name: a search by name alone finds none.
    by_name_export = admin.post("/staff/privacy/export", {"name": "Айгуль"})
    assert json.loads(by_name_export.get_data(as_text=True))["likes_given"] == []
    assert admin.post("/staff/privacy/export", {}).status_code == 400


def test_erase_replaces_text_and_name_and_clears_identifiers(app: Flask, admin) -> None:
    ids = _their_comments(app)
    other = make_comment(app, "чужой", voter_key="c:other", status=CommentStatus.REVIEW)
    _like(app, other, "c:asker")
    _like(app, other, "c:someone-else")
    unconfirmed = admin.post("/staff/privacy/erase", {"voter_key": "c:asker"})
    assert unconfirmed.status_code == 303
    with app.app_context():
        assert db.session.get(Comment, ids[0]).text == "мой первый"
    reply = admin.post(
        "/staff/privacy/erase", {"voter_key": "c:asker", "confirm": "yes", "reason": "письмо"}
    )
    assert reply.status_code == 303
    with app.app_context():
        for comment_id in ids:
            comment = db.session.get(Comment, comment_id)
            assert comment.text == "[удалено по просьбе автора]"
            assert "удалено по просьбе автора" in comment.html
            assert comment.author_name == "Читатель"
            assert comment.ip_hash is None and comment.user_agent is None
            assert comment.voter_key == "erased"
        assert db.session.get(Comment, ids[1]).status == CommentStatus.APPROVED
        assert db.session.get(Comment, other).text == "чужой"
        # Their like still counts, but no longer leads to them (nor does Redis).
        assert db.session.get(Comment, other).likes == 2
        keys = set(db.session.scalars(sa.select(CommentLike.voter_key)))
        assert "c:asker" not in keys and "c:someone-else" in keys and len(keys) == 2
        assert not redis_client().exists(like_mark_key(other, "c:asker"))
        assert redis_client().exists(like_mark_key(other, "c:someone-else"))
    assert thread_count(app) == approved_count(app) == 1
    [row] = audit_rows(app, "privacy.erase")
    assert row.after == {"ids": ids, "likes": 1, "reports": 0} and row.reason == "письмо"
    # The audit log keeps no trace of who it was.
    assert "asker" not in json.dumps([r.after for r in audit_rows(app)])
    assert "Удалено 2 комментария." in admin.get("/staff/privacy").get_data(as_text=True)


def test_a_reader_who_only_liked_can_be_erased(app: Flask, admin) -> None:
    other = make_comment(app, "чужой", voter_key="c:other", status=CommentStatus.REVIEW)
    _like(app, other, "c:liker")
    page = admin.get("/staff/privacy?voter_key=c:liker").get_data(as_text=True)
    assert "Найдено 0 комментариев." in page and "1 отметка «нравится»" in page
    reply = admin.post("/staff/privacy/erase", {"voter_key": "c:liker", "confirm": "yes"})
    assert reply.status_code == 303
    with app.app_context():
        assert db.session.scalar(sa.select(CommentLike.voter_key)).startswith("erased:")
        assert db.session.get(Comment, other).likes == 1


def test_export_and_erase_are_for_admins_only(app: Flask, moderator) -> None:
    _their_comments(app)
    assert moderator.post("/staff/privacy/export", {"voter_key": "c:asker"}).status_code == 403
    reply = moderator.post("/staff/privacy/erase", {"voter_key": "c:asker", "confirm": "yes"})
    assert reply.status_code == 403


def test_erase_leaves_no_quoted_words_moderator_notes_or_ban_links(app: Flask, admin) -> None:
    reasons = [
        {"rule": "suspect_word", "score": 30, "detail": "дурак", "spans": [[3, 8]]},
        {"rule": "links", "score": 10, "detail": "3", "spans": [[0, 2]]},
    ]
    target = make_comment(app, "Ты дурак", voter_key="c:asker", ip_hash="ip-a", reasons=reasons)
    with app.app_context():
        revision = db.session.get(Comment, target).revision
    banned = admin.post(
        f"/staff/comments/{target}/ban",
        {"revision": revision, "by_voter": "1", "by_ip": "1", "days": "7", "reason": "Айгуль Т."},
        htmx=True,
    )
    assert banned.status_code == 200
    with app.app_context():
        assert db.session.get(Comment, target).decision_reason == "Айгуль Т."
    erase = {"voter_key": "c:asker", "confirm": "yes"}
    assert admin.post("/staff/privacy/erase", erase).status_code == 303
    with app.app_context():
        comment = db.session.get(Comment, target)
        assert comment.reasons == [
            {"rule": "suspect_word", "score": 30, "detail": "", "spans": []},
            {"rule": "links", "score": 10, "detail": "3", "spans": []},
        ]
        assert comment.decision_reason is None
        [ban] = db.session.scalars(sa.select(Ban)).all()
        assert (ban.voter_key, ban.ip_hash) == ("c:asker", "ip-a")  # the ban still holds
    [row] = audit_rows(app, "ban.create")
    assert row.after["comment_id"] is None
    assert "asker" not in json.dumps(row.after) and "ip-a" not in json.dumps(row.after)


def _report(app: Flask, comment_id: int, voter_key: str, text: str) -> None:
    with app.app_context():
        db.session.add(
            CommentReport(
                comment_id=comment_id, voter_key=voter_key, network="n", reason="abuse", text=text
            )
        )
        db.session.commit()


def test_a_readers_reports_are_exported_and_unlinked_by_the_erasure(app: Flask, admin) -> None:
    theirs = make_comment(app, "мой текст", voter_key="c:asker", status=CommentStatus.APPROVED)
    other = make_comment(app, "чужой", voter_key="c:other", status=CommentStatus.APPROVED)
    _report(app, other, "c:asker", "моя жалоба")
    # Someone else's report on the asker's comment quotes the asker's words.
    _report(app, theirs, "c:third", "он пишет «мой текст»")
    page = admin.get("/staff/privacy?voter_key=c:asker").get_data(as_text=True)
    assert "1 жалоба" in page
    data = json.loads(
        admin.post("/staff/privacy/export", {"voter_key": "c:asker"}).get_data(as_text=True)
    )
    [filed] = data["reports_filed"]
    assert filed["comment_id"] == other and filed["text"] == "моя жалоба"
    assert filed["reason"] == "abuse" and filed["outcome"] is None
    [row] = audit_rows(app, "privacy.export")
    assert row.after == {"ids": [theirs], "likes": 0, "reports": 1}
    reply = admin.post("/staff/privacy/erase", {"voter_key": "c:asker", "confirm": "yes"})
    assert reply.status_code == 303
    with app.app_context():
        reports = {r.comment_id: r for r in db.session.scalars(sa.select(CommentReport))}
        # The report still counts against the comment; it no longer leads to the reader.
        assert reports[other].voter_key.startswith("erased:") and reports[other].text == ""
        assert reports[theirs].voter_key == "c:third" and reports[theirs].text == ""


def test_a_reader_who_only_reported_can_be_found_and_erased(app: Flask, admin) -> None:
    other = make_comment(app, "чужой", voter_key="c:other", status=CommentStatus.APPROVED)
    _report(app, other, "c:reporter", "")
    page = admin.get("/staff/privacy?voter_key=c:reporter").get_data(as_text=True)
    assert "Найдено 0 комментариев." in page and 'name="confirm"' in page
    reply = admin.post("/staff/privacy/erase", {"voter_key": "c:reporter", "confirm": "yes"})
    assert reply.status_code == 303
    with app.app_context():
        assert db.session.scalar(sa.select(CommentReport.voter_key)).startswith("erased:")
