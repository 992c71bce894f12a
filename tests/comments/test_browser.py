"""The comment widget in a real browser against gunicorn: post, see it "на модерации", the
worker approves it, another reader sees it by the live notice; replies and likes; inside a
portal iframe; without JavaScript."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from flask import Flask
from playwright.sync_api import Browser, BrowserContext, Locator, Page, expect

from polls_site.comments.status import change_status, thread_changed
from polls_site.core.db import db
from polls_site.models import Comment, CommentStatus, Thread
from tests.support.browser import WAIT_MS, Portal
from tests.support.factories import KEY, make_thread
from tests.support.live import LiveServer

pytestmark = [pytest.mark.browser, pytest.mark.live]

WORKER_WAIT_MS = 60_000
SEND = "Отправить"
WAITING = "на модерации"


@pytest.fixture
def contexts(browser: Browser) -> Iterator[list[BrowserContext]]:
    """Fresh browser profiles (no shared cookies), closed at the end."""
    opened: list[BrowserContext] = []
    yield opened
    for context in opened:
        context.close()


def new_page(browser: Browser, contexts: list[BrowserContext], **options) -> Page:
    context = browser.new_context(**options)
    context.set_default_timeout(WAIT_MS)
    contexts.append(context)
    return context.new_page()


def approve_all(app: Flask) -> None:
    """What a moderator does: approve every pending comment (no worker needed)."""
    with app.app_context():
        for comment in db.session.scalars(sa.select(Comment).where(Comment.status == "pending")):
            change_status(comment, CommentStatus.APPROVED)
            db.session.commit()
            thread_changed(comment.thread_id, KEY)
        db.session.remove()


def stored(app: Flask) -> list[tuple[str, str, str]]:
    with app.app_context():
        rows = db.session.execute(
            sa.select(Comment.author_name, Comment.text, Comment.status).order_by(Comment.id)
        ).all()
        db.session.remove()
        return [tuple(row) for row in rows]


def write(page: Page | Locator, name: str, text: str) -> None:
    page.get_by_label("Ваше имя").fill(name)
    page.get_by_label("Комментарий", exact=True).fill(text)
    page.get_by_role("button", name=SEND).click()


def test_post_wait_for_moderation_then_everyone_sees_it(
    live_factory, browser: Browser, contexts: list[BrowserContext]
) -> None:
    server: LiveServer = live_factory(COMMENTS_POLL_SECONDS=1)
    make_thread(server.app)
    author = new_page(browser, contexts)
    author.goto(server.url(f"/w/comments/{KEY}"))
    author.wait_for_function("() => window.htmx !== undefined")
    author.evaluate("() => { window.__sameDocument = 'kept'; }")
    write(author, "Айгуль", "Хорошая статья, спасибо!")

    own = author.locator("#own-comments")
    expect(own).to_contain_text("Хорошая статья, спасибо!")
    expect(own).to_contain_text(WAITING)
    expect(author.locator("#comment-form .notice-success")).to_contain_text("после модерации")
    expect(author.get_by_label("Комментарий", exact=True)).to_have_value("")
    assert author.evaluate("() => window.__sameDocument") == "kept"
    assert stored(server.app) == [("Айгуль", "Хорошая статья, спасибо!", "pending")]

    other = new_page(browser, contexts)
    other.goto(server.url(f"/w/comments/{KEY}"))
    expect(other.locator("#comment-list")).to_contain_text("Комментариев пока нет")
    expect(other.get_by_text("Хорошая статья, спасибо!")).to_have_count(0)

    # The real worker (python worker.py) runs the auto-moderator, which approves it.
    server.start_worker()
    # The other reader's widget notices by polling and shows it on request.
    notice = other.locator("#comments-notice a")
    # A worker starting on a busy machine takes a while: give it more than one wait.
    expect(notice).to_have_text("1 новый комментарий — показать", timeout=WORKER_WAIT_MS)
    notice.click()
    expect(other.locator("#comment-items")).to_contain_text("Хорошая статья, спасибо!")
    expect(other.locator("#comment-items")).to_contain_text("Айгуль")
    assert stored(server.app) == [("Айгуль", "Хорошая статья, спасибо!", "approved")]
    author.reload()
    expect(author.locator("#comment-items")).to_contain_text("Хорошая статья, спасибо!")
    expect(author.get_by_text(WAITING)).to_have_count(0)


def test_the_author_sees_a_rejected_comment_and_why(
    live_factory, browser: Browser, contexts: list[BrowserContext]
) -> None:
    server: LiveServer = live_factory()
    make_thread(server.app)
    author = new_page(browser, contexts)
    author.goto(server.url(f"/w/comments/{KEY}"))
    author.wait_for_function("() => window.htmx !== undefined")
    write(author, "Айгуль", "Автор статьи мудак")
    own = author.locator("#own-comments")
    expect(own).to_contain_text(WAITING)
    # The real worker's auto-moderator rejects it (a banned lemma).
    server.run_worker_burst("--queue", "moderation")
    assert stored(server.app) == [("Айгуль", "Автор статьи мудак", "rejected")]
    author.reload()
    expect(own.locator(".badge-rejected")).to_have_text("отклонён")
    expect(own.locator(".rejected-reason")).to_have_text(
        "Не опубликован. Причина: нецензурная лексика, оскорбления или спам."
    )
    expect(own).to_contain_text("Автор статьи мудак")
    expect(author.locator("#comment-list")).not_to_contain_text("мудак")


def test_reply_and_like_with_htmx(
    live_factory, browser: Browser, contexts: list[BrowserContext]
) -> None:
    server: LiveServer = live_factory()
    make_thread(server.app)
    page = new_page(browser, contexts)
    page.goto(server.url(f"/w/comments/{KEY}"))
    write(page, "Бек", "Первый")
    expect(page.locator("#own-comments")).to_contain_text(WAITING)
    approve_all(server.app)
    page.reload()
    page.get_by_role("button", name="Нравится (0 отметок)").click()
    expect(page.locator(".like-button.liked .likes")).to_have_text("1")
    page.get_by_role("link", name="Ответить").click()
    reply_form = page.locator("#reply-form")
    expect(reply_form.locator(".replying")).to_contain_text("В ответ: Бек")
    write(reply_form, "Вера", "Ответ Беку")
    expect(page.locator("#own-comments")).to_contain_text("в ответ: Бек")
    with server.app.app_context():
        reply = db.session.scalar(sa.select(Comment).where(Comment.text == "Ответ Беку"))
        assert reply.parent_id is not None and reply.status == "pending"
        assert db.session.scalar(sa.select(Comment.likes).where(Comment.text == "Первый")) == 1
        db.session.remove()


def test_inside_a_portal_iframe_the_first_view_opens_the_thread(
    live_factory, portal: Portal, browser: Browser, contexts: list[BrowserContext]
) -> None:
    server: LiveServer = live_factory(EMBED_ALLOWED_ORIGINS=portal.origin)
    article = f"{portal.origin}/news/bishkek.html"
    widget = server.url(f"/w/comments/{KEY}?title=Бишкек&url={article}", host="localhost")
    portal.pages["/news/bishkek.html"] = (
        '<!doctype html><html lang="ru"><meta charset="utf-8"><title>Статья</title>'
        f'<h1>Бишкек</h1><iframe id="comments" src="{widget}" width="420" height="700"></iframe>'
        "</html>"
    )
    page = new_page(browser, contexts, viewport={"width": 480, "height": 900})
    page.goto(article)
    frame = page.frame_locator("#comments")
    write_in = frame.locator("#comment-form")
    write_in.get_by_label("Ваше имя").fill("Азамат")
    write_in.get_by_label("Комментарий", exact=True).fill("Из iframe")
    write_in.get_by_role("button", name=SEND).click()
    expect(frame.locator("#own-comments")).to_contain_text(WAITING)
    with server.app.app_context():
        thread = db.session.scalar(sa.select(Thread))
        assert (thread.key, thread.title, thread.url) == (KEY, "Бишкек", article)
        db.session.remove()
    assert stored(server.app) == [("Азамат", "Из iframe", "pending")]


def test_without_javascript(live_factory, browser: Browser, contexts: list[BrowserContext]) -> None:
    server: LiveServer = live_factory()
    make_thread(server.app)
    page = new_page(browser, contexts, java_script_enabled=False)
    page.goto(server.url(f"/w/comments/{KEY}"))
    page.get_by_label("Ваше имя").fill("Ерлан")
    page.get_by_role("button", name=SEND).click()  # no text: our own message
    expect(page.locator("#comment-text-error")).to_have_text("Напишите комментарий.")
    expect(page.get_by_label("Ваше имя")).to_have_value("Ерлан")
    page.get_by_label("Комментарий", exact=True).fill("Без скриптов")
    page.get_by_role("button", name=SEND).click()
    expect(page.locator("#own-comments")).to_contain_text(WAITING)
    assert "posted=1" in page.url
    assert stored(server.app) == [("Ерлан", "Без скриптов", "pending")]


@pytest.mark.parametrize("width", [300, 700])
def test_readable_from_300_to_700_pixels(
    live_factory, browser: Browser, contexts: list[BrowserContext], width: int
) -> None:
    server: LiveServer = live_factory()
    make_thread(server.app)
    page = new_page(browser, contexts)
    page.goto(server.url(f"/w/comments/{KEY}"))
    write(page, "Очень-очень-длинное-имя-без-пробелов-которое-не-помещается", "ы" * 120)
    expect(page.locator("#own-comments")).to_contain_text(WAITING)
    approve_all(server.app)
    page.set_viewport_size({"width": width, "height": 800})
    page.reload()
    expect(page.locator("#comment-items .comment")).to_have_count(1)
    assert page.evaluate("() => document.documentElement.scrollWidth") <= width
    box = page.locator("#comment-text").bounding_box()
    assert box is not None and box["width"] >= width * 0.8
