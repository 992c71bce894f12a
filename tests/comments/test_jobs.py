"""The moderation job through a real RQ worker: pending comments decided once, with reasons."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
import sqlalchemy as sa

from polls_site.comments import jobs as comment_jobs
from polls_site.comments.jobs import enqueue_moderation, moderate_comment, reconcile_comments
from polls_site.comments.status import thread_version_key
from polls_site.core.db import db
from polls_site.core.jobs import MODERATION, site_job_id, task_queue
from polls_site.core.metrics import COMMENTS_MODERATED
from polls_site.core.redis import redis_client
from polls_site.models import Ban, Comment, CommentStatus, Thread, utcnow
from polls_site.worker.ticker import request_comment_reconcile
from tests.support.app import drain_queue
from tests.support.factories import make_comment, make_thread

CLEAN = "Хорошая новость, давно пора было договориться о торговле."
SUSPECT = "Автор статьи идиот, ничего не понимает в экономике."
BANNED = "Какая же это xуйня, а не соглашение."
TITLE = "Бишкек – Астана"
URL = "https://portal.kg/a"


def add_comment(
    app,
    thread_id: int,
    text: str,
    *,
    voter_key: str = "c:reader",
    ip_hash: str | None = "ip-reader",
    age: timedelta = timedelta(0),
    status: CommentStatus = CommentStatus.PENDING,
) -> int:
    """A comment the reader "c:reader" left ``age`` ago, pending unless told otherwise."""
    return make_comment(
        app,
        text,
        thread=thread_id,
        status=status,
        voter_key=voter_key,
        ip_hash=ip_hash,
        user_agent="Mozilla/5.0",
        created_at=utcnow() - age,
    )


def load(app, comment_id: int) -> Comment:
    with app.app_context():
        return db.session.get(Comment, comment_id, populate_existing=True)


def comment_count(app, thread_id: int) -> int:
    with app.app_context():
        return db.session.get(Thread, thread_id, populate_existing=True).comment_count


def moderate_by_worker(app, *comment_ids: int) -> None:
    with app.app_context():
        for comment_id in comment_ids:
            assert enqueue_moderation(comment_id)
    drain_queue(app)


@pytest.fixture
def thread_id(app) -> int:
    return make_thread(app, title=TITLE, url=URL)


def test_a_clean_comment_is_approved_and_counted(app, thread_id) -> None:
    comment_id = add_comment(app, thread_id, CLEAN)
    with app.app_context():
        version_before = int(redis_client().get(thread_version_key(thread_id)) or 0)
    approved_before = COMMENTS_MODERATED.labels("approved")._value.get()
    moderate_by_worker(app, comment_id)
    comment = load(app, comment_id)
    assert comment.status == CommentStatus.APPROVED
    assert comment.score == 0 and comment.reasons == []
    assert comment.moderated_at is not None and comment.moderated_by is None
    assert comment_count(app, thread_id) == 1
    with app.app_context():
        assert int(redis_client().get(thread_version_key(thread_id))) == version_before + 1
        assert task_queue(MODERATION).count == 0
    assert COMMENTS_MODERATED.labels("approved")._value.get() == approved_before + 1


def test_a_suspect_word_waits_for_a_moderator_with_its_reason(app, thread_id) -> None:
    comment_id = add_comment(app, thread_id, SUSPECT)
    moderate_by_worker(app, comment_id)
    comment = load(app, comment_id)
    assert comment.status == CommentStatus.REVIEW
    assert comment.score == 40
    (reason,) = comment.reasons
    assert reason["rule"] == "suspect_word" and reason["detail"] == "идиот"
    ((start, end),) = reason["spans"]
    assert comment.text[start:end] == "идиот"
    assert comment_count(app, thread_id) == 0


def test_a_banned_word_is_rejected(app, thread_id) -> None:
    comment_id = add_comment(app, thread_id, BANNED)
    moderate_by_worker(app, comment_id)
    comment = load(app, comment_id)
    assert comment.status == CommentStatus.REJECTED and comment.score == 100
    assert [r["rule"] for r in comment.reasons] == ["banned_word"]
    start, end = comment.reasons[0]["spans"][0]
    assert comment.text[start:end] == "xуйня"
    assert comment_count(app, thread_id) == 0


def test_the_agreed_dotted_path_twice_applies_once(app, thread_id) -> None:
    comment_id = add_comment(app, thread_id, CLEAN)
    revision = load(app, comment_id).revision
    with app.app_context():
        for _ in range(2):
            task_queue(MODERATION).enqueue("polls_site.comments.jobs.moderate_comment", comment_id)
    drain_queue(app)
    comment = load(app, comment_id)
    assert comment.status == CommentStatus.APPROVED
    assert comment.revision == revision + 1
    assert comment_count(app, thread_id) == 1
    with app.app_context():
        assert moderate_comment(comment_id) is None  # and a retry later still nothing
        assert moderate_comment(10**9) is None  # a comment that is gone
    assert comment_count(app, thread_id) == 1


def test_a_decided_comment_is_left_alone(app, thread_id) -> None:
    comment_id = add_comment(app, thread_id, BANNED, status=CommentStatus.APPROVED)
    moderate_by_worker(app, comment_id)
    assert load(app, comment_id).status == CommentStatus.APPROVED


def test_a_comment_waits_in_the_queue_once(app, thread_id) -> None:
    comment_id = add_comment(app, thread_id, CLEAN)
    with app.app_context():
        assert enqueue_moderation(comment_id) and enqueue_moderation(comment_id)
        assert task_queue(MODERATION).count == 1


def test_a_failed_job_is_replaced_by_a_fresh_one(app, thread_id) -> None:
    comment_id = add_comment(app, thread_id, CLEAN)
    with app.app_context():
        enqueue_moderation(comment_id)
        job = task_queue(MODERATION).fetch_job(site_job_id(f"moderate-{comment_id}"))
        task_queue(MODERATION).remove(job)
        job.set_status("failed")
        assert enqueue_moderation(comment_id)
        assert task_queue(MODERATION).count == 1
    drain_queue(app)
    assert load(app, comment_id).status == CommentStatus.APPROVED


def test_premoderated_thread_turns_approve_into_review(app) -> None:
    thread_id = make_thread(app, title=TITLE, url=URL, premoderated=True)
    clean = add_comment(app, thread_id, CLEAN)
    banned = add_comment(app, thread_id, BANNED, voter_key="c:other", ip_hash="ip-other")
    moderate_by_worker(app, clean, banned)
    comment = load(app, clean)
    assert comment.status == CommentStatus.REVIEW
    assert comment.reasons == [
        {"rule": "premoderation", "score": 0, "detail": "thread", "spans": []}
    ]
    assert load(app, banned).status == CommentStatus.REJECTED  # still rejected outright
    assert comment_count(app, thread_id) == 0


def test_premoderation_of_everything(app, thread_id) -> None:
    app.config["PREMODERATE_ALL"] = True
    comment_id = add_comment(app, thread_id, CLEAN)
    moderate_by_worker(app, comment_id)
    comment = load(app, comment_id)
    assert comment.status == CommentStatus.REVIEW
    assert comment.reasons[-1]["detail"] == "site"


@pytest.mark.parametrize(
    ("ban", "status"),
    [
        ({"voter_key": "c:reader", "reason": "спам"}, CommentStatus.REJECTED),
        ({"ip_hash": "ip-reader"}, CommentStatus.REJECTED),
        ({"voter_key": "c:reader", "expires_at": timedelta(days=-1)}, CommentStatus.APPROVED),
        ({"voter_key": "c:reader", "expires_at": timedelta(days=1)}, CommentStatus.REJECTED),
        ({"voter_key": "c:reader", "lifted_at": timedelta(hours=-1)}, CommentStatus.APPROVED),
        ({"voter_key": "c:somebody-else"}, CommentStatus.APPROVED),
    ],
)
def test_a_banned_author(app, thread_id, ban: dict, status: CommentStatus) -> None:
    with app.app_context():
        fields = {k: utcnow() + v if isinstance(v, timedelta) else v for k, v in ban.items()}
        db.session.add(Ban(**fields))
        db.session.commit()
    comment_id = add_comment(app, thread_id, CLEAN)
    moderate_by_worker(app, comment_id)
    comment = load(app, comment_id)
    assert comment.status == status
    if status == CommentStatus.REJECTED:
        assert comment.reasons[0]["rule"] == "banned_author"
        assert comment.reasons[0]["detail"] == ban.get("reason", "")


def test_the_same_text_again_by_the_author_or_their_address(app, thread_id) -> None:
    add_comment(app, thread_id, CLEAN, age=timedelta(hours=2), status=CommentStatus.APPROVED)
    again = add_comment(app, thread_id, CLEAN.replace(" ", "   ").replace(".", "!"))
    same_address = add_comment(app, thread_id, CLEAN, voter_key="c:new-cookie")
    stranger = add_comment(app, thread_id, CLEAN, voter_key="c:stranger", ip_hash="ip-stranger")
    moderate_by_worker(app, again, same_address, stranger)
    for comment_id in (again, same_address):
        comment = load(app, comment_id)
        assert comment.status == CommentStatus.REVIEW
        assert [r["rule"] for r in comment.reasons] == ["duplicate"]
    assert load(app, stranger).status == CommentStatus.APPROVED


def test_an_old_copy_or_a_deleted_one_is_no_duplicate(app, thread_id) -> None:
    add_comment(app, thread_id, CLEAN, age=timedelta(days=2), status=CommentStatus.APPROVED)
    add_comment(app, thread_id, CLEAN, age=timedelta(hours=1), status=CommentStatus.DELETED)
    comment_id = add_comment(app, thread_id, CLEAN)
    moderate_by_worker(app, comment_id)
    assert load(app, comment_id).status == CommentStatus.APPROVED


def test_posting_velocity_from_the_database(app, thread_id) -> None:
    ids = [
        add_comment(app, thread_id, f"Комментарий номер {n} о разном", age=timedelta(seconds=s))
        for n, s in ((1, 50), (2, 20), (3, 0))
    ]
    moderate_by_worker(app, *ids)
    statuses = [load(app, comment_id).status for comment_id in ids]
    assert statuses == [CommentStatus.APPROVED, CommentStatus.APPROVED, CommentStatus.REVIEW]
    assert load(app, ids[2]).reasons[0] == {
        "rule": "velocity",
        "score": 50,
        "detail": "3/60",
        "spans": [],
    }


def test_a_concurrent_edit_makes_the_job_decide_again(app, thread_id, monkeypatch) -> None:
    comment_id = add_comment(app, thread_id, CLEAN)
    real_evaluate = comment_jobs.evaluate
    calls = []

    def edited_meanwhile(text, rules, *, context=None):
        calls.append(text)
        if len(calls) == 1:
            # The author edits the comment while the job is deciding.
            with db.engine.begin() as conn:
                conn.execute(
                    sa.update(Comment.__table__)
                    .where(Comment.__table__.c.id == comment_id)
                    .values(text=BANNED, revision=Comment.__table__.c.revision + 1)
                )
        return real_evaluate(text, rules, context=context)

    monkeypatch.setattr(comment_jobs, "evaluate", edited_meanwhile)
    with app.app_context():
        assert moderate_comment(comment_id) == "rejected"
    assert calls == [CLEAN, BANNED]
    comment = load(app, comment_id)
    assert comment.status == CommentStatus.REJECTED
    assert comment.reasons[0]["rule"] == "banned_word"
    assert comment_count(app, thread_id) == 0


def test_reconcile_enqueues_comments_left_pending(app, thread_id) -> None:
    lost = add_comment(app, thread_id, CLEAN, age=timedelta(minutes=5))
    fresh = add_comment(app, thread_id, SUSPECT, voter_key="c:b", ip_hash="ip-b")
    decided = add_comment(
        app, thread_id, BANNED, age=timedelta(hours=1), status=CommentStatus.APPROVED
    )
    with app.app_context():
        assert reconcile_comments() == [lost]
        assert reconcile_comments() == [lost]  # still pending: still listed...
        assert task_queue(MODERATION).count == 1  # ...but queued once
    drain_queue(app)
    assert load(app, lost).status == CommentStatus.APPROVED
    assert load(app, fresh).status == CommentStatus.PENDING  # its own job is on its way
    assert load(app, decided).status == CommentStatus.APPROVED
    with app.app_context():
        assert reconcile_comments() == []


def test_the_ticker_asks_for_one_reconcile_per_interval(app) -> None:
    with app.app_context():
        assert request_comment_reconcile() and request_comment_reconcile()
        (job,) = task_queue(MODERATION).get_jobs()
        assert job.func_name == "polls_site.comments.jobs.reconcile_comments"


def test_one_log_line_per_job_without_the_text(app, thread_id, caplog) -> None:
    comment_id = add_comment(app, thread_id, SUSPECT)
    with caplog.at_level(logging.INFO, logger="polls_site.comments.jobs"):
        moderate_by_worker(app, comment_id)
    (record,) = [r for r in caplog.records if r.name == "polls_site.comments.jobs"]
    assert record.getMessage() == "comment moderated"
    assert record.comment_id == comment_id and record.status == "review"
    assert record.rules == ["suspect_word"] and record.job_id
    assert "идиот" not in str(vars(record)) and SUSPECT not in str(vars(record))
