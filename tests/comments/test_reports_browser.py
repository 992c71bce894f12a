"""Reader reports in Chromium against gunicorn: three readers on two networks report a
comment with htmx, it leaves the thread, a moderator finds it in «Жалобы» and decides."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, expect

from polls_site.models import CommentStatus, Role
from tests.support.browser import WAIT_MS
from tests.support.comments import comment_state
from tests.support.factories import KEY, PASSWORD, make_comment, make_staff, make_thread
from tests.support.live import LiveServer
from tests.support.staff import audit_rows

# The outcome rests on the database (one report per reader, the threshold): PostgreSQL too.
pytestmark = [pytest.mark.browser, pytest.mark.live, pytest.mark.both_databases]


def test_readers_report_a_comment_and_a_moderator_decides(live_factory, browser: Browser) -> None:
    # One trusted proxy hop: each profile's X-Forwarded-For is its address.
    server: LiveServer = live_factory(TRUSTED_PROXY_COUNT=1)
    app = server.app
    make_thread(app, key=KEY)
    comment_id = make_comment(app, "Грубый комментарий", thread=KEY)
    make_staff(app, "mod", Role.MODERATOR)
    for address in ("203.0.113.5", "203.0.113.6", "198.51.100.9"):
        context = browser.new_context(extra_http_headers={"X-Forwarded-For": address})
        context.set_default_timeout(WAIT_MS)
        page = context.new_page()
        page.goto(server.url(f"/w/comments/{KEY}"))
        page.locator(f"#comment-{comment_id}").get_by_role("link", name="Пожаловаться").click()
        form = page.locator(f"#report-{comment_id}")
        form.get_by_label("Оскорбление").check()
        form.get_by_role("button", name="Отправить жалобу").click()
        expect(form).to_contain_text("Спасибо: модераторы посмотрят")
        context.close()
    assert comment_state(app, comment_id)[0] == CommentStatus.REVIEW

    context = browser.new_context()
    context.set_default_timeout(WAIT_MS)
    page = context.new_page()
    page.goto(server.url(f"/w/comments/{KEY}"))
    expect(page.locator("main")).not_to_contain_text("Грубый комментарий")
    page.goto(server.url("/staff/login?next=/staff/reports"))
    page.fill("input[name=username]", "mod")
    page.fill("input[name=password]", PASSWORD)
    page.press("input[name=password]", "Enter")
    expect(page.locator("h1")).to_have_text("Жалобы")
    reported = page.locator("section.reported")
    expect(reported).to_contain_text("3 жалобы")
    expect(reported).to_contain_text("Оскорбление (3)")
    reported.get_by_role("button", name="Спам").click()
    expect(page.locator("main")).to_contain_text("Новых жалоб нет")
    context.close()
    assert comment_state(app, comment_id)[0] == CommentStatus.SPAM
    assert audit_rows(app, "comment.spam")[-1].after["reports"] == {
        "count": 3,
        "outcome": "upheld",
    }
