"""The comment widget inside a portal page keeps the reader's place: liking, «Показать ещё»
and «Ответить» leave the portal where it was scrolled and put the focus where the reader
acted; the reply form opens under the comment and the iframe grows to hold it."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from playwright.sync_api import Browser, Frame, Page, expect

from polls_site.core.db import db
from polls_site.models import Comment, utcnow
from tests.support.browser import Portal
from tests.support.factories import KEY, make_comment, make_thread
from tests.support.live import LiveServer

pytestmark = [pytest.mark.browser, pytest.mark.live]

ARTICLE_PATH = "/news/article.html"
FRAME = "[data-comments] iframe"
DOCUMENT_HEIGHT = "() => Math.ceil(document.documentElement.getBoundingClientRect().height)"
# Scrolling is in whole pixels, and a focus ring may nudge layout by a pixel or two.
PLACE_PX = 3


def article_page(portal: Portal, server: LiveServer) -> str:
    """A portal article with a long text above its comments, embedding them with embed.js."""
    url = f"{portal.origin}{ARTICLE_PATH}"
    portal.pages[ARTICLE_PATH] = (
        '<!doctype html><html lang="ru"><head><meta charset="utf-8"><title>Статья</title>'
        f'<script src="{server.url("/embed.js", host="localhost")}" defer></script></head>'
        '<body><h1>Статья</h1><div style="height: 1600px">Текст статьи</div>'
        f'<div data-comments="{KEY}" data-title="Статья" data-url="{url}"></div>'
        '<div style="height: 1200px">Новости</div></body></html>'
    )
    return url


def seed(server: LiveServer, roots: int) -> list[int]:
    """``roots`` approved comments, oldest first (so "newest" lists the last one first)."""
    thread = make_thread(server.app)
    start = utcnow() - timedelta(hours=2)
    return [
        make_comment(
            server.app,
            f"Комментарий номер {i}",
            thread=thread,
            author_name=f"Читатель {i}",
            created_at=start + timedelta(minutes=i),
        )
        for i in range(roots)
    ]


def open_widget(page: Page, url: str) -> Frame:
    """The portal page with its comment frame loaded and sized to its document."""
    page.goto(url)
    page.locator("[data-comments]").scroll_into_view_if_needed()
    frame = page.wait_for_selector(FRAME).content_frame()
    assert frame is not None
    frame.wait_for_selector("#comment-items .comment")
    wait_until_sized(page, frame)
    return frame


def wait_until_sized(page: Page, frame: Frame) -> int:
    """Wait until the iframe is as tall as its document (embed.js got the height)."""
    height = frame.evaluate(DOCUMENT_HEIGHT)
    page.wait_for_function(
        "([selector, h]) => document.querySelector(selector).style.height === h + 'px'",
        arg=[FRAME, height],
    )
    return height


def scroll_to(page: Page, frame: Frame, selector: str) -> float:
    """Scroll the portal so that ``selector`` in the widget is mid-screen; the scroll offset."""
    top = frame.locator(selector).evaluate("(el) => el.getBoundingClientRect().top")
    frame_top = page.locator(FRAME).evaluate("(el) => el.getBoundingClientRect().top")
    page.evaluate("(y) => window.scrollBy(0, y)", frame_top + top - 300)
    return page.evaluate("() => window.scrollY")


def focused(frame: Frame) -> str:
    """What has the focus in the widget: its id, else its tag and classes."""
    return frame.evaluate(
        "() => { const el = document.activeElement;"
        " return el.id || (el.tagName.toLowerCase() + '.' + [...el.classList].join('.')); }"
    )


def test_liking_a_comment_lower_down_keeps_the_readers_place(
    live_factory, portal: Portal, page: Page
) -> None:
    server: LiveServer = live_factory(EMBED_ALLOWED_ORIGINS=portal.origin)
    ids = seed(server, 12)
    frame = open_widget(page, article_page(portal, server))
    # Newest first: the fourth oldest sits far below the list's heading.
    target = ids[3]
    before = scroll_to(page, frame, f"#comment-{target}")

    frame.locator(f"#comment-{target} .like-button").click()
    expect(frame.locator(f"#comment-{target} .like-button .likes")).to_have_text("1")

    assert abs(page.evaluate("() => window.scrollY") - before) <= PLACE_PX
    assert focused(frame) == f"like-{target}"


def test_show_more_keeps_the_place_and_focuses_the_first_new_comment(
    live_factory, portal: Portal, page: Page
) -> None:
    server: LiveServer = live_factory(EMBED_ALLOWED_ORIGINS=portal.origin)
    ids = seed(server, 23)
    frame = open_widget(page, article_page(portal, server))
    before = scroll_to(page, frame, "#comment-items .more a")
    link_top = frame.locator("#comment-items .more a").evaluate(
        "(el) => el.getBoundingClientRect().top"
    )

    frame.get_by_role("link", name="Показать ещё").press("Enter")
    # Newest first: the 21st newest is the third oldest.
    first_new = frame.locator(f"#comment-{ids[2]}")
    expect(first_new).to_be_visible()
    expect(frame.locator("#comment-items .comment")).to_have_count(23)

    assert abs(page.evaluate("() => window.scrollY") - before) <= PLACE_PX
    assert focused(frame) == f"comment-{ids[2]}"
    # The first new comment took the link's place.
    new_top = first_new.evaluate("(el) => el.getBoundingClientRect().top")
    assert abs(new_top - link_top) <= 40
    wait_until_sized(page, frame)


def test_reply_opens_under_the_comment_focused_and_the_frame_grows(
    live_factory, portal: Portal, page: Page
) -> None:
    server: LiveServer = live_factory(EMBED_ALLOWED_ORIGINS=portal.origin)
    ids = seed(server, 12)
    frame = open_widget(page, article_page(portal, server))
    target = ids[3]
    height = wait_until_sized(page, frame)
    before = scroll_to(page, frame, f"#comment-{target}")

    frame.locator(f"#comment-{target} .reply-link").click()
    # Right under the comment answered, with the focus in its first field.
    reply_form = frame.locator(f"#comment-{target} + #reply-form")
    expect(reply_form.locator(".replying")).to_contain_text("В ответ: Читатель 3")
    expect(frame.locator("#reply-name")).to_be_focused()
    assert abs(page.evaluate("() => window.scrollY") - before) <= PLACE_PX
    # The thread's own form stays where it was; the iframe grew to hold the reply form.
    expect(frame.locator("#comment-form")).to_have_count(1)
    grown = wait_until_sized(page, frame)
    assert grown > height
    bottom = reply_form.evaluate("(el) => el.getBoundingClientRect().bottom")
    assert bottom <= grown
    field = frame.locator("#reply-name").bounding_box()
    assert field is not None and 0 <= field["y"] <= page.viewport_size["height"] - field["height"]

    # «отмена» closes it and gives the focus back to the link.
    reply_form.get_by_role("link", name="отмена").click()
    expect(frame.locator("#reply-form")).to_have_count(0)
    expect(frame.locator(f"#comment-{target} .reply-link")).to_be_focused()

    # Opened again elsewhere, it moves there; sent, it thanks the reader in its place.
    frame.locator(f"#comment-{ids[5]} .reply-link").click()
    reply_form = frame.locator(f"#comment-{ids[5]} + #reply-form")
    expect(frame.locator("#reply-name")).to_be_focused()
    reply_form.get_by_label("Ваше имя").fill("Вера")
    reply_form.get_by_label("Комментарий", exact=True).fill("Отвечаю на месте")
    reply_form.get_by_role("button", name="Отправить").click()
    expect(frame.locator("#reply-form .notice-success")).to_contain_text("после модерации")
    expect(frame.locator("#reply-form .notice-success")).to_be_focused()
    expect(frame.locator("#own-comments")).to_contain_text("в ответ: Читатель 5")
    with server.app.app_context():
        reply = db.session.scalar(sa.select(Comment).where(Comment.text == "Отвечаю на месте"))
        assert reply.parent_id == ids[5] and reply.status == "pending"
        db.session.remove()


def test_without_javascript_reply_opens_the_page_with_its_form(
    live_factory, browser: Browser
) -> None:
    server: LiveServer = live_factory()
    ids = seed(server, 2)
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(server.url(f"/w/comments/{KEY}"))
        page.locator(f"#comment-{ids[0]} .reply-link").click()
        expect(page.locator("#comment-form .replying")).to_contain_text("В ответ: Читатель 0")
        page.get_by_label("Ваше имя").fill("Ерлан")
        page.get_by_label("Комментарий", exact=True).fill("Без скриптов отвечаю")
        page.get_by_role("button", name="Отправить").click()
        expect(page.locator("#own-comments")).to_contain_text("в ответ: Читатель 0")
    finally:
        context.close()
