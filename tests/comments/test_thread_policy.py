"""The widget under a thread's policy: closed (by staff or by date), premoderated, first-K
readers, slow mode; each refusal in Russian with its status, writing nothing."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from flask import Flask

from polls_site.comments.jobs import moderate_comment
from polls_site.core.db import db
from polls_site.models import Comment, CommentStatus, Thread, utcnow
from tests.support.comments import Commenting, comment_rows
from tests.support.factories import KEY, make_comment, make_thread

CLOSED = "Обсуждение закрыто: новые комментарии не принимаются."


def _close(app: Flask, **fields: object) -> None:
    with app.app_context():
        db.session.execute(sa.update(Thread).where(Thread.key == KEY).values(**fields))
        db.session.commit()


def test_closed_thread_shows_the_notice_and_a_post_writes_nothing(
    app: Flask, reader: Commenting
) -> None:
    make_thread(app)
    token = reader.token()  # the form the reader had open before the thread closed
    _close(app, closed_at=utcnow())
    refused = reader.post(token=token)
    assert refused.status_code == 403
    body = refused.get_data(as_text=True)
    assert CLOSED in body and 'name="text"' not in body
    assert comment_rows(app) == []
    plain = reader.post(token=token, htmx=False)
    assert plain.status_code == 403 and CLOSED in plain.get_data(as_text=True)
    assert comment_rows(app) == []
    page = reader.open().get_data(as_text=True)
    assert "Обсуждение закрыто" in page and 'id="comment-text"' not in page


def test_thread_closes_by_itself_days_after_its_first_comment(
    app: Flask, reader: Commenting
) -> None:
    app.config["THREAD_AUTO_CLOSE_DAYS"] = 3
    make_thread(app)
    assert reader.post().status_code == 200
    with app.app_context():
        first = db.session.scalar(sa.select(Thread.first_comment_at).where(Thread.key == KEY))
    assert first is not None
    page = reader.open().get_data(as_text=True)
    assert "Обсуждение закроется" in page  # readers are told the date
    _close(app, first_comment_at=utcnow() - timedelta(days=3, seconds=1))
    refused = reader.post()
    assert refused.status_code == 403 and CLOSED in refused.get_data(as_text=True)
    assert len(comment_rows(app)) == 1
    # Reopened by staff: the date no longer closes it.
    _close(app, keep_open=True)
    assert reader.post(text="Снова открыто, спасибо.").status_code == 200


def test_edit_is_refused_once_the_thread_is_closed(app: Flask, reader: Commenting) -> None:
    make_thread(app)
    assert reader.post().status_code == 200
    [comment] = comment_rows(app)
    token = reader.token()
    _close(app, closed_at=utcnow())
    refused = reader.client.post(
        f"/w/comments/{KEY}/-/{comment.id}/edit",
        data={"token": token, "text": "Исправленный текст"},
        headers={"HX-Request": "true"},
    )
    assert refused.status_code == 403 and CLOSED in refused.get_data(as_text=True)
    assert comment_rows(app)[0].text == comment.text


def test_slow_mode_refuses_a_second_comment_saying_when(
    app: Flask, reader: Commenting, other_reader: Commenting
) -> None:
    make_thread(app, slow_mode_minutes=5)
    assert "Медленный режим: не чаще одного комментария в 5 минут." in reader.open().get_data(
        as_text=True
    )
    assert reader.post().status_code == 200
    refused = reader.post(text="Ещё одна мысль вдогонку.")
    assert refused.status_code == 429
    assert 0 < int(refused.headers["Retry-After"]) <= 300
    assert "Медленный режим: писать снова можно через 5 минут." in refused.get_data(as_text=True)
    assert len(comment_rows(app)) == 1
    # Per reader: another reader may still post.
    assert other_reader.post().status_code == 200


def test_premoderated_thread_tells_the_reader_and_sends_to_review(
    app: Flask, reader: Commenting
) -> None:
    make_thread(app, premoderated=True)
    reply = reader.post()
    assert "Комментарии здесь проходят премодерацию" in reply.get_data(as_text=True)
    [comment] = comment_rows(app)
    with app.app_context():
        assert moderate_comment(comment.id) == CommentStatus.REVIEW


def test_first_k_comments_of_a_reader_wait_for_a_moderator(app: Flask, reader: Commenting) -> None:
    app.config["PREMODERATE_FIRST_COMMENTS"] = 1
    make_thread(app)
    reply = reader.post()
    assert "Комментарии здесь проходят премодерацию" in reply.get_data(as_text=True)
    [comment] = comment_rows(app)
    with app.app_context():
        assert moderate_comment(comment.id) == CommentStatus.REVIEW
        reasons = db.session.get(Comment, comment.id).reasons
    assert {"rule": "premoderation", "score": 0, "detail": "first", "spans": []} in reasons
    # One approved comment of theirs: the next is trusted.
    make_comment(
        app, voter_key=comment.voter_key, thread=KEY, created_at=utcnow() - timedelta(days=1)
    )
    reply = reader.post(text="Вторая мысль, уже без премодерации.")
    assert "Спасибо! Ваш комментарий появится после модерации." in reply.get_data(as_text=True)
    second = comment_rows(app)[-1]
    with app.app_context():
        assert moderate_comment(second.id) == CommentStatus.APPROVED
