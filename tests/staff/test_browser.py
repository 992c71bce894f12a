"""A moderator works the queue in a real browser (Debian's Chromium) by keyboard alone:
log in, j/k to move, a approves, r rejects with a reason, ? shows the keys; rows leave."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from polls_site.models import CommentStatus, Role
from tests.support.browser import WAIT_MS
from tests.support.comments import approved_count, comment_state, thread_count
from tests.support.factories import PASSWORD, make_comment, make_staff
from tests.support.live import LiveServer
from tests.support.staff import audit_rows

pytestmark = [pytest.mark.browser, pytest.mark.live]


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context()
    context.set_default_timeout(WAIT_MS)
    errors: list[str] = []
    page = context.new_page()
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on(
        "console",
        lambda m: (
            errors.append(m.text)
            if m.type == "error" and not m.text.startswith("Failed to load resource")
            else None
        ),
    )
    # The browser asks for /favicon.ico on its own; any other failed load is a bug.
    page.on(
        "response",
        lambda r: (
            errors.append(f"{r.status} {r.url}")
            if r.status >= 400 and not r.url.endswith("/favicon.ico")
            else None
        ),
    )
    yield page
    context.close()
    assert errors == [], errors  # no script errors, no CSP violations


def test_moderator_works_the_queue_by_keyboard(live_server: LiveServer, page: Page) -> None:
    app = live_server.app
    make_staff(app, "mod", Role.MODERATOR)
    first = make_comment(app, "первый: одобрить", status=CommentStatus.REVIEW)
    second = make_comment(app, "второй: пропустить", status=CommentStatus.REVIEW)
    third = make_comment(app, "третий: отклонить", status=CommentStatus.REVIEW)

    page.goto(live_server.url("/staff/queue"))
    expect(page).to_have_url(live_server.url("/staff/login?next=/staff/queue"))
    page.fill("input[name=username]", "mod")
    page.fill("input[name=password]", PASSWORD)
    page.press("input[name=password]", "Enter")
    expect(page.locator("h1")).to_have_text("Очередь модерации")
    rows = page.locator("#list article.item")
    expect(rows).to_have_count(3)
    expect(page.locator("#pending-count")).to_have_text("3")
    expect(rows.nth(0)).to_be_focused()

    page.keyboard.press("a")  # approve the first
    expect(rows).to_have_count(2)
    expect(page.locator(f"#comment-{first}")).to_have_count(0)
    expect(page.locator(f"#comment-{second}")).to_be_focused()  # the next took its place
    expect(page.locator("#pending-count")).to_have_text("2")

    page.keyboard.press("j")
    expect(page.locator(f"#comment-{third}")).to_be_focused()
    page.keyboard.press("k")
    expect(page.locator(f"#comment-{second}")).to_be_focused()
    page.keyboard.press("j")
    page.keyboard.press("r")  # reject: the reason field takes the typing
    expect(page.locator(f"#reason-reject-{third}")).to_be_focused()
    page.keyboard.type("оскорбление")
    page.keyboard.press("Enter")
    expect(rows).to_have_count(1)
    expect(page.locator(f"#comment-{second}")).to_be_focused()

    page.keyboard.press("?")
    expect(page.locator("#keys-help")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.locator("#keys-help")).to_be_hidden()

    assert comment_state(app, first)[0] == CommentStatus.APPROVED
    assert comment_state(app, second)[0] == CommentStatus.REVIEW
    assert comment_state(app, third)[0] == CommentStatus.REJECTED
    assert thread_count(app) == approved_count(app) == 1
    [rejected] = audit_rows(app, "comment.reject")
    assert rejected.reason == "оскорбление" and rejected.staff_name == "mod"


def russian_key(page: Page, key: str, code: str, shift: bool = False) -> None:
    """A keydown as the Russian layout sends it: the letter it types, the key's place."""
    page.evaluate(
        """([key, code, shift]) => (document.activeElement || document.body).dispatchEvent(
             new KeyboardEvent("keydown", {key, code, shiftKey: shift, bubbles: true}))""",
        [key, code, shift],
    )


def test_queue_keys_work_with_the_russian_layout(live_server: LiveServer, page: Page) -> None:
    app = live_server.app
    make_staff(app, "mod", Role.MODERATOR)
    first = make_comment(app, "первый: одобрить", status=CommentStatus.REVIEW)
    second = make_comment(app, "второй: отклонить", status=CommentStatus.REVIEW)
    page.goto(live_server.url("/staff/login?next=/staff/queue"))
    page.fill("input[name=username]", "mod")
    page.fill("input[name=password]", PASSWORD)
    page.press("input[name=password]", "Enter")
    rows = page.locator("#list article.item")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_be_focused()

    russian_key(page, "о", "KeyJ")  # j
    expect(page.locator(f"#comment-{second}")).to_be_focused()
    russian_key(page, "л", "KeyK")  # k
    expect(page.locator(f"#comment-{first}")).to_be_focused()
    russian_key(page, "ф", "KeyA")  # a: approve
    expect(rows).to_have_count(1)
    expect(page.locator(f"#comment-{second}")).to_be_focused()
    russian_key(page, "к", "KeyR")  # r: the reason field takes the typing
    expect(page.locator(f"#reason-reject-{second}")).to_be_focused()
    page.keyboard.press("Escape")
    russian_key(page, ",", "Slash", shift=True)  # ? is Shift+, on the Russian layout
    expect(page.locator("#keys-help")).to_be_visible()
    assert comment_state(app, first)[0] == CommentStatus.APPROVED


def test_bulk_selection_leaves_the_queue_without_a_reload(
    live_server: LiveServer, page: Page
) -> None:
    app = live_server.app
    make_staff(app, "mod", Role.MODERATOR)
    ids = [make_comment(app, f"реклама {i}", status=CommentStatus.REVIEW) for i in range(3)]
    keep = make_comment(app, "нормальный", status=CommentStatus.REVIEW)
    page.goto(live_server.url("/staff/login?next=/staff/queue"))
    page.fill("input[name=username]", "mod")
    page.fill("input[name=password]", PASSWORD)
    page.press("input[name=password]", "Enter")
    expect(page.locator("#list article.item")).to_have_count(4)
    page.evaluate("window.notReloaded = true")
    for comment_id in ids:
        page.locator(f"#comment-{comment_id} input.select").check()
    page.locator("#bulk select[name=action]").select_option("spam")
    page.locator("#bulk button[type=submit]").click()
    expect(page.locator("#bulk-status")).to_have_text("Обработано 3 комментария.")
    expect(page.locator("#list article.item")).to_have_count(1)
    expect(page.locator(f"#comment-{keep}")).to_have_count(1)
    expect(page.locator("#pending-count")).to_have_text("1")
    assert page.evaluate("window.notReloaded") is True
    assert [comment_state(app, i)[0] for i in ids] == [CommentStatus.SPAM] * 3


def test_the_count_follows_the_queue_as_it_empties(live_server: LiveServer, page: Page) -> None:
    app = live_server.app
    make_staff(app, "mod", Role.MODERATOR)
    ads = [make_comment(app, f"реклама {i}", status=CommentStatus.REVIEW) for i in range(4)]
    make_comment(app, "нормальный", status=CommentStatus.REVIEW)  # outside the search
    page.goto(live_server.url("/staff/login?next=/staff/queue?q=реклама"))
    page.fill("input[name=username]", "mod")
    page.fill("input[name=password]", PASSWORD)
    page.press("input[name=password]", "Enter")
    count = page.locator("#list-count")
    expect(count).to_have_text("Найдено 4 комментария.")
    page.evaluate("window.notReloaded = true")

    page.locator(f"#comment-{ads[0]} .action-approve button").click()
    expect(count).to_have_text("Найдено 3 комментария.")  # the search's count, not the queue's
    for comment_id in ads[1:3]:
        page.locator(f"#comment-{comment_id} input.select").check()
    page.locator("#bulk select[name=action]").select_option("spam")
    page.locator("#bulk button[type=submit]").click()
    expect(count).to_have_text("Найден 1 комментарий.")
    page.locator(f"#comment-{ads[3]} .action-spam button").click()
    expect(count).to_contain_text("Найдено 0 комментариев.")
    expect(count).to_contain_text("Здесь пусто.")
    expect(page.locator("#list article.item")).to_have_count(0)
    expect(page.locator("#pending-count")).to_have_text("1")
    assert page.evaluate("window.notReloaded") is True


def test_queue_works_without_javascript(live_server: LiveServer, browser: Browser) -> None:
    app = live_server.app
    make_staff(app, "mod", Role.MODERATOR)
    comment_id = make_comment(app, "без скриптов", status=CommentStatus.REVIEW)
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto(live_server.url("/staff/login"))
        page.fill("input[name=username]", "mod")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        expect(page.locator(f"#comment-{comment_id}")).to_have_count(1)
        page.locator(f"#comment-{comment_id} .action-approve button").click()
        expect(page.locator(".notice-success")).to_contain_text("одобрен")
        expect(page.locator(f"#comment-{comment_id}")).to_have_count(0)
    finally:
        context.close()
    assert comment_state(app, comment_id)[0] == CommentStatus.APPROVED
