"""The author's own view: pending comments only they see, edit and delete within the window."""

from __future__ import annotations

import re
from datetime import timedelta

import sqlalchemy as sa
from flask import Flask

from polls_site.comments.jobs import moderate_comment
from polls_site.comments.render import render_comment_html
from polls_site.comments.service import REJECTED_SHOWN_DAYS
from polls_site.comments.status import change_status, thread_changed
from polls_site.core.db import db
from polls_site.models import Comment, CommentStatus, Thread
from tests.support.comments import Commenting, comment_rows, get_comment
from tests.support.factories import KEY, make_thread

HX = {"HX-Request": "true"}


def approve(app: Flask, comment_id: int) -> None:
    with app.app_context():
        comment = db.session.get(Comment, comment_id)
        change_status(comment, CommentStatus.APPROVED)
        db.session.commit()
        thread_changed(comment.thread_id, KEY)


def age(app: Flask, comment_id: int, minutes: int) -> None:
    """Move the comment's creation ``minutes`` into the past."""
    with app.app_context():
        comment = db.session.get(Comment, comment_id)
        db.session.execute(
            sa.update(Comment)
            .where(Comment.id == comment_id)
            .values(created_at=comment.created_at - timedelta(minutes=minutes))
        )
        db.session.commit()


def token_of(html: str) -> str:
    return re.search(r'name="token" value="([^"]+)"', html).group(1)


def test_pending_comment_is_shown_to_its_author_only(
    app: Flask, reader: Commenting, other_reader: Commenting
) -> None:
    make_thread(app)
    reader.post(text="Мой комментарий ждёт")
    mine = reader.open().get_data(as_text=True)
    assert "Мой комментарий ждёт" in mine and "на модерации" in mine
    theirs = other_reader.open().get_data(as_text=True)
    assert "Мой комментарий ждёт" not in theirs and "на модерации" not in theirs

    [comment] = comment_rows(app)
    with app.app_context():
        c = db.session.get(Comment, comment.id)
        change_status(c, CommentStatus.REVIEW)
        db.session.commit()
    assert "на модерации" in reader.open().get_data(as_text=True)
    assert "Мой комментарий ждёт" not in other_reader.open().get_data(as_text=True)

    approve(app, comment.id)
    assert "Мой комментарий ждёт" in other_reader.open().get_data(as_text=True)
    mine = reader.open().get_data(as_text=True)
    assert "на модерации" not in mine


def test_a_rejected_comment_is_shown_to_its_author_with_the_reason_category(
    app: Flask, reader: Commenting, other_reader: Commenting
) -> None:
    make_thread(app)
    reader.post(text="Да пошли вы все нах*й со своим ЕАЭС")
    [comment] = comment_rows(app)
    with app.app_context():
        assert moderate_comment(comment.id) == CommentStatus.REVIEW  # masked: to a person
        c = db.session.get(Comment, comment.id)
        c.reasons = [*c.reasons, {"rule": "banned_word", "score": 100, "detail": "х", "spans": []}]
        change_status(c, CommentStatus.REJECTED)
        db.session.commit()
    # The full page, and the htmx answer to the next post (its own list out of band).
    plain = reader.open(posted="1").get_data(as_text=True)
    fragment = reader.post(text="Второй комментарий, спокойный").get_data(as_text=True)
    assert "<html" not in fragment and 'hx-swap-oob="true"' in fragment
    for page in (plain, fragment):
        own = page[page.index('id="own-comments"') :]
        assert "отклонён" in own and "нах*й со своим ЕАЭС" in own
        assert "Не опубликован. Причина: нецензурная лексика, оскорбления или спам, " in own
        assert "нецензурная лексика." in own  # the masked word's category, once
        # A rejected comment is not edited back in (the second one may be).
        assert f"/-/{comment.id}/edit" not in own and f"/-/{comment.id}/delete" not in own
    theirs = other_reader.open().get_data(as_text=True)
    assert "ЕАЭС" not in theirs and "отклонён" not in theirs


def test_the_reader_is_told_a_category_never_the_words(app: Flask, reader: Commenting) -> None:
    make_thread(app)
    reader.post(text="Ты дурак и мудак, смотри 1xbet")
    [comment] = comment_rows(app)
    with app.app_context():
        assert moderate_comment(comment.id) == CommentStatus.REJECTED
    own = reader.open().get_data(as_text=True).split('id="own-comments"', 1)[1]
    reason = re.search(r'<p class="rejected-reason"[^>]*>([^<]*)</p>', own).group(1)
    categories = "нецензурная лексика, оскорбления или спам, оскорбления"
    assert reason == f"Не опубликован. Причина: {categories}."
    for word in ("мудак", "дурак", "1xbet"):
        assert word not in reason


def test_a_rejection_without_automatic_reasons_says_a_moderator_did_it(
    app: Flask, reader: Commenting
) -> None:
    make_thread(app)
    reader.post(text="Обычный текст")
    with app.app_context():
        c = db.session.scalar(sa.select(Comment))
        change_status(c, CommentStatus.REJECTED)
        db.session.commit()
    assert "Не опубликован: отклонён модератором." in reader.open().get_data(as_text=True)


def test_an_old_rejection_is_no_longer_shown(app: Flask, reader: Commenting) -> None:
    make_thread(app)
    reader.post(text="Давно отклонённый")
    with app.app_context():
        c = db.session.scalar(sa.select(Comment))
        change_status(c, CommentStatus.REJECTED)
        c.moderated_at = c.moderated_at - timedelta(days=REJECTED_SHOWN_DAYS, minutes=1)
        db.session.commit()
    assert "Давно отклонённый" not in reader.open().get_data(as_text=True)


def test_edit_inside_the_window_rerenders_and_moderates_again(
    app: Flask, reader: Commenting
) -> None:
    make_thread(app)
    reader.post(text="Было")
    [comment] = comment_rows(app)
    approve(app, comment.id)
    age(app, comment.id, 9)
    url = f"/w/comments/{KEY}/-/{comment.id}/edit"
    form = reader.client.get(url, headers=HX).get_data(as_text=True)
    assert ">Было</textarea>" in form
    new_text = 'Стало <img src=x onerror="alert(1)"> www.example.org'
    response = reader.client.post(url, data={"token": token_of(form), "text": new_text}, headers=HX)
    assert response.status_code == 200
    assert "на модерации" in response.get_data(as_text=True)

    edited = get_comment(app, comment.id)
    assert edited.text == new_text
    assert edited.html == render_comment_html(new_text)
    assert "<img" not in edited.html
    assert edited.edited_at is not None
    assert edited.status == CommentStatus.PENDING
    with app.app_context():
        assert db.session.get(Thread, edited.thread_id).comment_count == 0
        queue = app.extensions["polls_queues"]["moderation"]
        assert any(j.endswith(f"moderate-{comment.id}") for j in queue.job_ids)


def test_edits_count_against_the_comment_limits(app: Flask, reader: Commenting) -> None:
    """Each edit is moderated again: a burst of edits is held like a burst of comments."""
    make_thread(app)
    reader.post(text="Было")
    [comment] = comment_rows(app)
    url = f"/w/comments/{KEY}/-/{comment.id}/edit"
    token = token_of(reader.client.get(url).get_data(as_text=True))
    allowed = int(app.config["COMMENT_LIMIT_VOTER"].split("/")[0]) - 1  # the post was one
    statuses = [
        reader.client.post(url, data={"token": token, "text": f"правка {i}"}, headers=HX)
        for i in range(allowed + 2)
    ]
    assert [r.status_code for r in statuses] == [200] * allowed + [429, 429]
    assert int(statuses[-1].headers["Retry-After"]) > 0
    assert "Вы пишете слишком часто" in statuses[-1].get_data(as_text=True)
    assert get_comment(app, comment.id).text == f"правка {allowed - 1}"


def test_edit_errors_keep_the_text(app: Flask, reader: Commenting) -> None:
    make_thread(app)
    reader.post(text="Было")
    [comment] = comment_rows(app)
    url = f"/w/comments/{KEY}/-/{comment.id}/edit"
    token = token_of(reader.client.get(url).get_data(as_text=True))
    too_long = "ж" * 3001
    response = reader.client.post(url, data={"token": token, "text": too_long})
    assert response.status_code == 422
    assert f">{too_long}</textarea>" in response.get_data(as_text=True)
    assert get_comment(app, comment.id).text == "Было"


def test_no_edit_or_delete_after_the_window(app: Flask, reader: Commenting) -> None:
    make_thread(app)
    reader.post(text="Старый")
    [comment] = comment_rows(app)
    token = reader.token()
    age(app, comment.id, 11)
    page = reader.open().get_data(as_text=True)
    assert f"/-/{comment.id}/edit" not in page  # still pending and shown, but not editable
    for action, data in (("edit", {"text": "Новый"}), ("delete", {})):
        response = reader.client.post(
            f"/w/comments/{KEY}/-/{comment.id}/{action}", data={"token": token, **data}
        )
        assert response.status_code == 403
        assert "можно изменить только в течение 10 минут" in response.get_data(as_text=True)
    after = get_comment(app, comment.id)
    assert (after.text, after.status) == ("Старый", CommentStatus.PENDING)


def test_nobody_else_may_edit_or_delete(
    app: Flask, reader: Commenting, other_reader: Commenting
) -> None:
    make_thread(app)
    reader.post(text="Чужой")
    [comment] = comment_rows(app)
    token = other_reader.token()
    for action in ("edit", "delete"):
        response = other_reader.client.post(
            f"/w/comments/{KEY}/-/{comment.id}/{action}", data={"token": token, "text": "x"}
        )
        assert response.status_code == 404
    assert get_comment(app, comment.id).text == "Чужой"


def test_delete_inside_the_window(app: Flask, reader: Commenting, other_reader: Commenting) -> None:
    make_thread(app)
    reader.post(text="Удалю")
    [comment] = comment_rows(app)
    approve(app, comment.id)
    assert "Удалю" in other_reader.open().get_data(as_text=True)
    page = reader.open().get_data(as_text=True)
    response = reader.client.post(
        f"/w/comments/{KEY}/-/{comment.id}/delete", data={"token": token_of(page)}, headers=HX
    )
    assert response.status_code == 200
    assert "Ваш комментарий удалён." in response.get_data(as_text=True)
    assert get_comment(app, comment.id).status == CommentStatus.DELETED
    with app.app_context():
        assert db.session.get(Thread, comment.thread_id).comment_count == 0
    assert "Удалю" not in other_reader.open().get_data(as_text=True)
    assert "Удалю" not in reader.open().get_data(as_text=True)


def test_plain_delete_redirects(app: Flask, reader: Commenting) -> None:
    make_thread(app)
    reader.post(text="Удалю")
    [comment] = comment_rows(app)
    response = reader.client.post(
        f"/w/comments/{KEY}/-/{comment.id}/delete", data={"token": reader.token()}
    )
    assert response.status_code == 303
    assert get_comment(app, comment.id).status == CommentStatus.DELETED
