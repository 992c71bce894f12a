"""Staff voice in Chromium: a logged-in editor posts from the widget with the «Редакция»
badge where the widget is on the portal's own site (two host names of one site), and as
an ordinary reader through a cross-site embed, whatever the form carries; a comment pinned
on the staff thread page shows first in the reader's widget, with its label."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Browser, BrowserContext, Frame, Page, expect

from polls_site.demo.portal import create_portal_app
from polls_site.demo.portal.content import ARTICLE
from polls_site.models import CommentStatus, Role
from tests.embed.test_embed_browser import serve
from tests.embed.test_identity_browser import (  # noqa: F401 (a fixture)
    PORTAL_HOST,
    WIDGET_HOST,
    same_site_browser,
)
from tests.support.browser import WAIT_MS
from tests.support.comments import comment_rows
from tests.support.factories import KEY, PASSWORD, make_comment, make_staff, make_thread
from tests.support.live import LiveServer, free_port

pytestmark = [pytest.mark.browser, pytest.mark.live, pytest.mark.both_databases]

COMMENTS_FRAME = "[data-comments] iframe"


def new_page(browser: Browser) -> tuple[BrowserContext, Page]:
    context = browser.new_context()
    context.set_default_timeout(WAIT_MS)
    return context, context.new_page()


def log_in(page: Page, origin: str, username: str, next_page: str = "/staff/queue") -> None:
    """Log in on the widget site's staff area (a first-party page)."""
    page.goto(f"{origin}/staff/login?next={next_page}")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.get_by_role("button", name="Войти").click()
    page.wait_for_url(f"**{next_page}")


def comments_frame(page: Page) -> Frame:
    """The comment widget's frame on the portal's article, once its form is there."""
    frame = page.wait_for_selector(COMMENTS_FRAME).content_frame()
    assert frame is not None
    frame.wait_for_selector("#comment-form")
    frame.wait_for_function("() => window.htmx !== undefined")
    return frame


def test_staff_post_from_the_same_site_widget_with_a_badge(
    live_factory: Callable[..., LiveServer],
    same_site_browser: Browser,  # noqa: F811
) -> None:
    port = free_port()
    widgets = live_factory(EMBED_ALLOWED_ORIGINS=f"http://{PORTAL_HOST}:{port}")
    make_staff(widgets.app, "ed", Role.EDITOR)
    widget_origin = f"http://{WIDGET_HOST}:{widgets.port}"
    with serve(create_portal_app(widget_origin), port):
        context, page = new_page(same_site_browser)
        try:
            log_in(page, widget_origin, "ed")
            page.goto(f"http://{PORTAL_HOST}:{port}/")
            frame = comments_frame(page)
            expect(frame.locator("#comment-form .staff-voice")).to_contain_text("Вы пишете как ed")
            expect(frame.get_by_label("Ваше имя")).to_have_count(0)
            frame.get_by_label("Комментарий", exact=True).fill("Слово редакции.")
            frame.get_by_role("button", name="Отправить").click()
            mine = frame.locator(".comment-staff", has_text="Слово редакции.")
            expect(mine.locator(".staff-badge")).to_have_text("Редакция")
            expect(mine.locator(".author")).to_have_text("ed")
            expect(frame.locator(".notice-success")).to_have_text("Ваш комментарий опубликован.")
        finally:
            context.close()
    [comment] = comment_rows(widgets.app)
    assert (comment.status, comment.staff_badge) == (CommentStatus.APPROVED, "editorial")


def test_through_a_cross_site_embed_staff_write_as_readers_forged_fields_or_not(
    live_factory: Callable[..., LiveServer], browser: Browser
) -> None:
    port = free_port()
    widgets = live_factory(EMBED_ALLOWED_ORIGINS=f"http://127.0.0.1:{port}")
    make_staff(widgets.app, "ed", Role.EDITOR)
    make_thread(widgets.app, key=ARTICLE.key, title=ARTICLE.title)
    widget_origin = f"http://localhost:{widgets.port}"
    with serve(create_portal_app(widget_origin), port):
        context, page = new_page(browser)
        try:
            log_in(page, widget_origin, "ed")
            # First party, the widget knows the editor...
            page.goto(f"{widget_origin}/w/comments/{ARTICLE.key}")
            expect(page.locator("#comment-form .staff-voice")).to_contain_text("ed")
            # ...framed by another site, the session cookie stays home.
            page.goto(f"http://127.0.0.1:{port}/")
            frame = comments_frame(page)
            expect(frame.locator(".staff-voice")).to_have_count(0)
            frame.get_by_label("Ваше имя").fill("Айгуль")
            frame.get_by_label("Комментарий", exact=True).fill("Пишу как читатель.")
            frame.evaluate(
                """() => {
                    const form = document.getElementById('comment-form');
                    for (const [name, value] of [['staff_badge', 'editorial'],
                            ['staff_user_id', '1'], ['badge', 'editorial'], ['staff', '1']]) {
                        const input = document.createElement('input');
                        input.type = 'hidden'; input.name = name; input.value = value;
                        form.appendChild(input);
                    }
                }"""
            )
            frame.get_by_role("button", name="Отправить").click()
            expect(frame.locator("#comment-form .notice-success")).to_contain_text("Спасибо")
        finally:
            context.close()
    [comment] = comment_rows(widgets.app)
    assert (comment.author_name, comment.staff_badge, comment.staff_user_id) == (
        "Айгуль",
        None,
        None,
    )
    # A reader's comment: it waits for the auto-moderator like any other.
    assert comment.voter_key.startswith(("c:", "f:", "s:"))


def test_a_pinned_comment_shows_first_with_its_label(
    live_server: LiveServer, browser: Browser
) -> None:
    app = live_server.app
    thread_id = make_thread(app, key=KEY)
    old = make_comment(app, "Старый, но важный комментарий", thread=thread_id)
    make_comment(app, "Новый комментарий", thread=thread_id)
    make_staff(app, "mod", Role.MODERATOR)
    reader_context, reader = new_page(browser)
    staff_context, staff = new_page(browser)
    try:
        reader.goto(live_server.url(f"/w/comments/{KEY}"))
        first = reader.locator(".thread-item").first
        expect(first).to_contain_text("Новый комментарий")

        page = f"/staff/threads/{thread_id}"
        log_in(staff, live_server.url(""), "mod", page)
        staff.locator(f"#staff-comment-{old}").get_by_role("button", name="Закрепить").click()
        expect(staff.locator(".notice-success")).to_contain_text("Комментарий закреплён")
        staff.get_by_label("Комментарий", exact=True).fill("Модератор на связи.")
        staff.get_by_role("button", name="Опубликовать").click()
        expect(staff.locator(f"#staff-comment-{old}")).to_contain_text("Закреплено")

        reader.reload()
        expect(first).to_contain_text("Старый, но важный комментарий")
        expect(first.locator(".comment-label-pinned")).to_have_text("Закреплено")
        second = reader.locator(".thread-item").nth(1)
        expect(second).to_contain_text("Модератор на связи.")
        expect(second.locator(".staff-badge")).to_have_text("Модератор")
    finally:
        reader_context.close()
        staff_context.close()
