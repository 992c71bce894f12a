"""An editor closes a thread on its staff page; the reader's open widget then refuses the
comment in Russian, and after a reload shows the closed notice instead of the form."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, expect

from polls_site.models import Role
from tests.support.browser import WAIT_MS
from tests.support.comments import comment_rows
from tests.support.factories import KEY, PASSWORD, make_staff, make_thread
from tests.support.live import LiveServer
from tests.support.staff import audit_rows

pytestmark = [pytest.mark.browser, pytest.mark.live]

CLOSED = "Обсуждение закрыто: новые комментарии не принимаются."


def test_editor_closes_a_thread_and_the_reader_cannot_post(
    live_server: LiveServer, browser: Browser
) -> None:
    app = live_server.app
    thread_id = make_thread(app)
    make_staff(app, "ed", Role.EDITOR)
    reader_context, editor_context = browser.new_context(), browser.new_context()
    try:
        for context in (reader_context, editor_context):
            context.set_default_timeout(WAIT_MS)
        reader = reader_context.new_page()
        reader.goto(live_server.url(f"/w/comments/{KEY}"))
        reader.wait_for_function("() => window.htmx !== undefined")
        reader.get_by_label("Ваше имя").fill("Айгуль")
        reader.get_by_label("Комментарий", exact=True).fill("Успею ли я?")

        editor = editor_context.new_page()
        editor.goto(live_server.url(f"/staff/login?next=/staff/threads/{thread_id}"))
        editor.fill("input[name=username]", "ed")
        editor.fill("input[name=password]", PASSWORD)
        editor.get_by_role("button", name="Войти").click()
        editor.get_by_role("button", name="Закрыть комментарии").click()
        expect(editor.locator("#thread-state")).to_contain_text("Закрыто")

        reader.get_by_role("button", name="Отправить").click()
        expect(reader.locator("#comment-form")).to_contain_text(CLOSED)
        expect(reader.get_by_label("Комментарий", exact=True)).to_have_count(0)
        reader.reload()
        expect(reader.locator(".closed-notice")).to_have_text(CLOSED)
        expect(reader.get_by_role("button", name="Отправить")).to_have_count(0)
    finally:
        reader_context.close()
        editor_context.close()
    assert comment_rows(app) == []
    assert [e.staff_name for e in audit_rows(app, "thread.close")] == ["ed"]
