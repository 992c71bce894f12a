"""Posted comments through the real auto-moderation job (an RQ worker, in-process): what
each outcome means for the author, the other readers and the counts."""

from __future__ import annotations

from flask import Flask

from polls_site.models import CommentStatus
from tests.support.app import drain_queue
from tests.support.comments import Commenting, comment_rows
from tests.support.factories import KEY, make_thread


def count(reader: Commenting) -> int:
    return reader.client.get(f"/api/comments/count?key={KEY}").get_json()[KEY]


def test_clean_comment_is_approved_by_the_worker(
    app: Flask, reader: Commenting, other_reader: Commenting
) -> None:
    make_thread(app)
    assert count(other_reader) == 0  # cached as 0 now; the approval must drop it
    reader.post(text="Спасибо за подробный разбор соглашения.")
    assert "на модерации" in reader.open().get_data(as_text=True)
    drain_queue(app)
    [comment] = comment_rows(app)
    assert comment.status == CommentStatus.APPROVED
    page = other_reader.open().get_data(as_text=True)
    assert "Спасибо за подробный разбор соглашения." in page
    assert count(other_reader) == 1
    assert "на модерации" not in reader.open().get_data(as_text=True)


def test_suspect_word_waits_for_a_moderator(
    app: Flask, reader: Commenting, other_reader: Commenting
) -> None:
    make_thread(app)
    reader.post(text="Автор статьи просто дурак, ничего не понимает.")
    drain_queue(app)
    [comment] = comment_rows(app)
    assert comment.status == CommentStatus.REVIEW
    assert comment.reasons[0]["rule"] == "suspect_word"
    assert "на модерации" in reader.open().get_data(as_text=True)
    assert "ничего не понимает" not in other_reader.open().get_data(as_text=True)
    assert count(other_reader) == 0


def test_banned_word_is_rejected_with_a_reason(
    app: Flask, reader: Commenting, other_reader: Commenting
) -> None:
    make_thread(app)
    reader.post(text="Выигрывай каждый день в 1xbet, ссылка в профиле")
    drain_queue(app)
    [comment] = comment_rows(app)
    assert comment.status == CommentStatus.REJECTED
    assert [r["rule"] for r in comment.reasons] == ["banned_word"]
    assert "1xbet" not in other_reader.open().get_data(as_text=True)
    # Its author still sees it, rejected, with the category (docs/moderation.md).
    mine = reader.open().get_data(as_text=True).split('id="own-comments"', 1)[1]
    assert "1xbet" in mine and "Причина: нецензурная лексика, оскорбления или спам." in mine


def test_premoderated_thread_sends_clean_comments_to_review(app: Flask, reader: Commenting) -> None:
    make_thread(app, premoderated=True)
    reader.post(text="Обычный вежливый комментарий.")
    drain_queue(app)
    assert comment_rows(app)[0].status == CommentStatus.REVIEW


def test_an_edit_is_moderated_again(app: Flask, reader: Commenting) -> None:
    make_thread(app)
    reader.post(text="Первая версия комментария.")
    drain_queue(app)
    [comment] = comment_rows(app)
    assert comment.status == CommentStatus.APPROVED and count(reader) == 1
    url = f"/w/comments/{KEY}/-/{comment.id}/edit"
    response = reader.client.post(url, data={"token": reader.token(), "text": "Ты дурак."})
    assert response.status_code == 303
    assert comment_rows(app)[0].status == CommentStatus.PENDING and count(reader) == 0
    drain_queue(app)
    assert comment_rows(app)[0].status == CommentStatus.REVIEW
