"""Closing a thread in Chromium against gunicorn: an editor closes it on the staff thread
page while a reader is writing; the reader's post is refused in Russian, nothing is stored,
and the reloaded widget has no form."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, expect

from polls_site.models import Role
from tests.support.browser import WAIT_MS
from tests.support.comments import comment_rows
from tests.support.factories import KEY, PASSWORD, make_staff, make_thread

pytestmark = [pytest.mark.browser, pytest.mark.live]

CLOSED = "Обсуждение закрыто: новые комментарии не принимаются."


def test_an_editor_closes_a_thread_and_a_reader_cannot_post(live_server, browser: Browser) -> None:
    app = live_server.app
    thread_id = make_thread(app, key=KEY, title="Горячая статья")
    make_staff(app, "editor", Role.EDITOR)
    reader_context = browser.new_context()
    reader_context.set_default_timeout(WAIT_MS)
    reader = reader_context.new_page()
    reader.goto(live_server.url(f"/w/comments/{KEY}"))
    reader.wait_for_function("() => window.htmx !== undefined")
    reader.get_by_label("Ваше имя").fill("Айгуль")
    reader.get_by_label("Комментарий", exact=True).fill("Пишу, пока не закрыли")

    staff_context = browser.new_context()
    staff_context.set_default_timeout(WAIT_MS)
    staff = staff_context.new_page()
    staff.goto(live_server.url(f"/staff/login?next=/staff/threads/{thread_id}"))
    staff.fill("input[name=username]", "editor")
    staff.fill("input[name=password]", PASSWORD)
    staff.press("input[name=password]", "Enter")
    expect(staff.locator("h1")).to_have_text("Горячая статья")
    staff.get_by_role("button", name="Закрыть комментарии").click()
    expect(staff.locator("#thread-state")).to_contain_text("Закрыто")
    expect(staff.get_by_role("button", name="Снова открыть комментарии")).to_be_visible()

    reader.get_by_role("button", name="Отправить").click()
    expect(reader.locator("main")).to_contain_text(CLOSED)
    assert comment_rows(app) == []
    reader.reload()
    expect(reader.locator("main")).to_contain_text("Обсуждение закрыто")
    expect(reader.get_by_label("Комментарий", exact=True)).to_have_count(0)
    reader_context.close()
    staff_context.close()
