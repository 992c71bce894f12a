"""The staff thread pages: list and search, close and reopen, premoderation and slow
mode, title and URL; audit-logged, CSRF-checked, role-checked."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Flask

from polls_site.core.db import db
from polls_site.models import Role, Thread
from tests.support.comments import Commenting, comment_rows
from tests.support.factories import KEY, make_comment, make_thread
from tests.support.staff import StaffClient, audit_rows, logged_in


def thread_row(app: Flask, thread_id: int) -> Thread:
    with app.app_context():
        thread = db.session.get(Thread, thread_id)
        db.session.expunge(thread)
        return thread


def test_list_finds_threads_by_title_url_and_key(app: Flask, moderator: StaffClient) -> None:
    make_thread(app, title="Выборы в Бишкеке", url="http://127.0.0.1:8001/news/1.html")
    make_thread(app, key="weather", title="Погода")
    for query in ("бишкеке", "news/1", "astana"):
        page = moderator.get(f"/staff/threads?q={query}").get_data(as_text=True)
        assert "Выборы в Бишкеке" in page and "Погода" not in page, query
    assert "Погода" in moderator.get("/staff/threads").get_data(as_text=True)


def test_queue_and_author_pages_link_to_the_thread_page(app: Flask, moderator: StaffClient) -> None:
    thread_id = make_thread(app)
    make_comment(app, thread=KEY, status="review")
    link = f'href="/staff/threads/{thread_id}"'
    assert link in moderator.get("/staff/queue").get_data(as_text=True)
    assert link in moderator.get("/staff/author?voter=c:reader-1").get_data(as_text=True)


def test_moderator_closes_and_reopens_audit_logged(
    app: Flask, moderator: StaffClient, other_reader: Commenting
) -> None:
    thread_id = make_thread(app)
    token = other_reader.token()  # the form the reader had open
    reply = moderator.post(f"/staff/threads/{thread_id}/close")
    assert reply.status_code == 303
    assert thread_row(app, thread_id).closed_at is not None
    page = moderator.get(f"/staff/threads/{thread_id}").get_data(as_text=True)
    assert "Снова открыть комментарии" in page
    assert "Обсуждение закрыто" in other_reader.open().get_data(as_text=True)
    refused = other_reader.post(token=token)
    assert refused.status_code == 403 and "Обсуждение закрыто" in refused.get_data(True)
    assert comment_rows(app) == []
    assert moderator.post(f"/staff/threads/{thread_id}/reopen").status_code == 303
    row = thread_row(app, thread_id)
    assert row.closed_at is None and row.keep_open
    assert other_reader.post().status_code == 200
    [closing] = audit_rows(app, "thread.close")
    assert (closing.staff_name, closing.target_id) == ("mod", str(thread_id))
    assert closing.before["closed"] is False and closing.after["closed"] is True
    assert len(audit_rows(app, "thread.reopen")) == 1


def test_policy_form_validates_and_saves(app: Flask, moderator: StaffClient) -> None:
    thread_id = make_thread(app)
    url = f"/staff/threads/{thread_id}/policy"
    bad = moderator.post(url, {"slow_mode_minutes": "5000"})
    assert bad.status_code == 422 and "От 0 до 1440 минут." in bad.get_data(as_text=True)
    assert moderator.post(url, {"slow_mode_minutes": "x"}).status_code == 422
    assert audit_rows(app, "thread.policy") == []
    ok = moderator.post(url, {"premoderated": "y", "slow_mode_minutes": "3"})
    assert ok.status_code == 303
    row = thread_row(app, thread_id)
    assert (row.premoderated, row.slow_mode_minutes) == (True, 3)
    [entry] = audit_rows(app, "thread.policy")
    assert entry.after["slow_mode_minutes"] == 3 and entry.before["slow_mode_minutes"] == 0


def test_editor_edits_title_and_url_validated(app: Flask, editor: StaffClient) -> None:
    thread_id = make_thread(app)
    url = f"/staff/threads/{thread_id}/details"
    for bad, message in (
        ("javascript:alert(1)", "Укажите веб-адрес, начинающийся с http:// или https://."),
        ("https://evil.example/news", "Адрес должен быть на портале"),
    ):
        reply = editor.post(url, {"title": "Новый", "url": bad})
        assert reply.status_code == 422 and message in reply.get_data(as_text=True)
    assert thread_row(app, thread_id).title == "Статья"
    good = editor.post(url, {"title": " Новый заголовок ", "url": "http://127.0.0.1:8001/n/2"})
    assert good.status_code == 303
    row = thread_row(app, thread_id)
    assert (row.title, row.url) == ("Новый заголовок", "http://127.0.0.1:8001/n/2")
    [entry] = audit_rows(app, "thread.edit")
    assert entry.before == {"title": "Статья", "url": ""}


def test_moderator_may_not_edit_details_and_csrf_is_required(
    app: Flask, moderator: StaffClient
) -> None:
    thread_id = make_thread(app)
    page = moderator.get(f"/staff/threads/{thread_id}").get_data(as_text=True)
    assert "Заголовок и адрес" not in page
    reply = moderator.post(f"/staff/threads/{thread_id}/details", {"title": "X", "url": ""})
    assert reply.status_code == 403
    no_token = moderator.client.post(f"/staff/threads/{thread_id}/close")
    assert no_token.status_code == 400
    with app.app_context():
        closed = db.session.scalar(sa.select(Thread.closed_at).where(Thread.id == thread_id))
    assert closed is None
    assert [e.action for e in audit_rows(app) if e.action.startswith("thread.")] == []


def test_unknown_thread_is_404_and_readers_need_a_login(app: Flask) -> None:
    make_thread(app)
    anonymous = app.test_client().get("/staff/threads/1")
    assert anonymous.status_code == 303 and "/staff/login" in anonymous.headers["Location"]
    staff = logged_in(app, app.test_client(), "mod2", Role.MODERATOR)
    assert staff.get("/staff/threads/999").status_code == 404
