"""Embedding in a real browser on two sites: the demo portal on 127.0.0.1:A embeds the
widgets of localhost:B with embed.js. Frames, resizing, counts, a comment posted from
the portal, the frame allowlist, foreign messages, blocked third-party cookies and
axe-core's accessibility checks of both widgets."""

from __future__ import annotations

import re
import threading
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
import sqlalchemy as sa
from axe_playwright_python.sync_playwright import Axe
from flask import Flask
from playwright.sync_api import Browser, BrowserContext, Frame, Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from werkzeug.serving import make_server

from polls_site.comments.status import change_status, thread_changed
from polls_site.core.db import db
from polls_site.demo.portal import create_portal_app
from polls_site.demo.portal.content import ARTICLE, NEWS
from polls_site.models import Comment, CommentStatus, Thread
from tests.support.browser import WAIT_MS
from tests.support.factories import make_comment, make_poll, make_thread, option_ids
from tests.support.live import LiveServer, ballot_count, free_port
from tests.support.polls import TOKEN_RE

pytestmark = [pytest.mark.browser, pytest.mark.live]

OPTIONS = ["Да", "Нет", "Не знаю"]
QUESTION = "Нужна ли Бишкеку новая объездная дорога?"
THANKS = "Спасибо! Ваш голос учтён."
NO_COOKIES = "Ваш браузер не сохраняет для этого виджета ни cookie"
ALREADY_VOTED = "Вы проголосовали в этом опросе."
POLL_FRAME = "[data-poll] iframe"
SECRET = "browser-test-secret-0123456789"
DOCUMENT_HEIGHT = "() => Math.ceil(document.documentElement.getBoundingClientRect().height)"


@contextmanager
def serve(app: Flask, port: int = 0, tls: tuple[str, str] | None = None) -> Iterator[str]:
    """Serve ``app`` on 127.0.0.1 in a thread (HTTPS with ``tls``: cert and key files);
    yields its origin."""
    server = make_server("127.0.0.1", port, app, threaded=True, ssl_context=tls)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"{'https' if tls else 'http'}://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


class Sites:
    """The widget server (localhost) and the demo portal (127.0.0.1) that may frame it."""

    def __init__(self, widgets: LiveServer, portal: str) -> None:
        self.widgets = widgets
        self.portal = portal
        self.widget_origin = f"http://localhost:{widgets.port}"


@pytest.fixture
def sites(live_factory: Callable[..., LiveServer]) -> Iterator[Sites]:
    """gunicorn with the widgets, allowing only the demo portal, which runs beside it."""
    port = free_port()
    widgets = live_factory(EMBED_ALLOWED_ORIGINS=f"http://127.0.0.1:{port}")
    portal_app = create_portal_app(f"http://localhost:{widgets.port}")
    with serve(portal_app, port) as portal:
        yield Sites(widgets, portal)


@pytest.fixture
def signed_sites(live_factory: Callable[..., LiveServer]) -> Iterator[Sites]:
    """As ``sites``, with a secret for the portal, which signs its comment thread."""
    port = free_port()
    portal = f"http://127.0.0.1:{port}"
    widgets = live_factory(EMBED_ALLOWED_ORIGINS=portal, EMBED_SIGNING_KEYS=f"{portal}={SECRET}")
    portal_app = create_portal_app(f"http://localhost:{widgets.port}", signing_key=SECRET)
    with serve(portal_app, port) as origin:
        yield Sites(widgets, origin)


@pytest.fixture
def other_site(sites: Sites) -> Iterator[str]:
    """The same portal page on an origin that is not in the allowlist."""
    with serve(create_portal_app(sites.widget_origin)) as origin:
        yield origin


def widget_frame(page: Page) -> Frame:
    """The poll widget's frame, once its vote form or results are there."""
    handle = page.wait_for_selector(POLL_FRAME)
    frame = handle.content_frame()
    assert frame is not None
    frame.wait_for_selector("#poll")
    return frame


def wait_until_sized(page: Page, frame: Frame) -> int:
    """Wait until the poll iframe is exactly as tall as its document; return that height.

    The document is cross-origin, so its height is read in the frame and the page then
    awaits an iframe of that height; a document still settling (fonts) is read again.
    """
    for _ in range(10):
        inner = frame.evaluate(DOCUMENT_HEIGHT)
        try:
            page.wait_for_function(
                "([selector, h]) => document.querySelector(selector).style.height === h + 'px'",
                arg=[POLL_FRAME, inner],
                timeout=WAIT_MS / 10,
            )
        except PlaywrightTimeoutError:
            continue
        return inner
    raise AssertionError(f"the poll iframe never took its document's height ({inner}px)")


def csp_errors(page: Page) -> list[str]:
    """Collects the Content-Security-Policy violations the page's frames report."""
    errors: list[str] = []
    page.on(
        "console",
        lambda message: (
            errors.append(message.text)
            if "Content Security Policy" in message.text and "frame-ancestors" not in message.text
            else None
        ),
    )
    return errors


def test_snippet_makes_titled_iframes_that_fit_and_grow_after_a_vote(
    sites: Sites, page: Page
) -> None:
    poll_id = make_poll(sites.widgets.app, OPTIONS, question=QUESTION)
    violations = csp_errors(page)
    page.goto(sites.portal + "/")

    frame = widget_frame(page)
    # data-poll="current" led to the newest open poll (the light theme is the default).
    assert frame.url == f"{sites.widget_origin}/w/poll/{poll_id}"
    iframe = page.locator(POLL_FRAME)
    # The widget tells its title (its own <title>, translated) to embed.js.
    expect(iframe).to_have_attribute("title", f"{QUESTION} — опрос")
    before = wait_until_sized(page, frame)

    frame.get_by_label("Нет").check()
    frame.get_by_role("button", name="Голосовать").click()
    expect(frame.locator("#poll .notice-success")).to_have_text(THANKS)
    after = wait_until_sized(page, frame)
    assert after > before, "the results (with their notice) are taller than the form"
    # Screen readers hear the outcome, and the focus is on the new content.
    expect(frame.locator("#widget-announce")).to_contain_text(THANKS)
    assert frame.evaluate("() => document.activeElement.id") == f"poll-question-{poll_id}"
    assert page.url == sites.portal + "/"
    assert ballot_count(sites.widgets.app, poll_id) == 1
    assert violations == []


def test_theme_switch_reloads_the_widget_in_dark_colours(sites: Sites, page: Page) -> None:
    make_poll(sites.widgets.app, OPTIONS, question=QUESTION)
    page.goto(sites.portal + "/")
    frame = widget_frame(page)
    expect(frame.locator("body")).to_have_class("widget theme-light font-system")

    page.get_by_role("button", name="Тёмная тема").click()
    dark = f"{sites.widget_origin}/w/poll/current?theme=dark"
    expect(page.locator(POLL_FRAME)).to_have_attribute("src", dark)
    frame = widget_frame(page)
    expect(frame.locator("body")).to_have_class("widget theme-dark font-system")
    background = frame.evaluate("() => getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(24, 26, 31)"


def test_data_section_shows_that_sections_current_poll(sites: Sites, page: Page) -> None:
    make_poll(sites.widgets.app, OPTIONS, question=QUESTION, current_section="main")
    sport = make_poll(
        sites.widgets.app, OPTIONS, question="Кто выиграет дерби?", current_section="sport"
    )
    page.goto(sites.portal + "/")
    expect(widget_frame(page).locator("#poll .poll-question")).to_contain_text(QUESTION)

    page.locator("[data-poll]").evaluate("(el) => el.setAttribute('data-section', 'sport')")
    src = f"{sites.widget_origin}/w/poll/current?theme=light&section=sport"
    expect(page.locator(POLL_FRAME)).to_have_attribute("src", src)
    frame = widget_frame(page)
    expect(frame.locator("#poll .poll-question")).to_contain_text("Кто выиграет дерби?")
    assert frame.url == f"{sites.widget_origin}/w/poll/{sport}"


def test_a_site_outside_the_allowlist_cannot_frame_the_widget(
    sites: Sites, other_site: str, page: Page
) -> None:
    make_poll(sites.widgets.app, OPTIONS, question=QUESTION)
    with page.expect_console_message(lambda m: "frame-ancestors" in m.text) as refusal:
        page.goto(other_site + "/")
    assert sites.widget_origin in refusal.value.text
    handle = page.wait_for_selector(POLL_FRAME)
    frame = handle.content_frame()
    assert frame is not None
    # The browser refused the document and navigates the frame to its own error page;
    # wait for that navigation rather than query a document that is being replaced.
    frame.wait_for_url(lambda url: not url.startswith(sites.widget_origin))
    expect(frame.locator("#poll")).to_have_count(0)
    # The same page on the allowed origin gets the widget.
    page.goto(sites.portal + "/")
    expect(widget_frame(page).locator("#poll")).to_be_visible()


def test_resize_messages_from_other_origins_are_ignored(
    sites: Sites, other_site: str, page: Page
) -> None:
    make_poll(sites.widgets.app, OPTIONS, question=QUESTION)
    page.goto(sites.portal + "/")
    frame = widget_frame(page)
    height = wait_until_sized(page, frame)
    title = page.locator(POLL_FRAME).get_attribute("title")
    # Registered after embed.js's listener: once it has seen a message, so has embed.js.
    page.evaluate(
        """() => {
            window.spoofs = [];
            window.addEventListener('message', (e) => {
                if (e.data && e.data.title === 'spoofed') window.spoofs.push(e.origin);
            });
        }"""
    )
    spoof = "{type: 'polls-site:resize', height: 3000, title: 'spoofed'}"
    # From the portal page itself (its origin is not the widget origin) ...
    page.evaluate(f"() => window.postMessage({spoof}, '*')")
    # ... and from a frame of another site inside the page.
    page.evaluate(
        """(src) => new Promise((done) => {
            const foreign = document.createElement('iframe');
            foreign.src = src;
            foreign.addEventListener('load', () => done());
            document.body.appendChild(foreign);
        })""",
        other_site + "/",
    )
    foreign = page.frame(url=other_site + "/")
    assert foreign is not None
    foreign.evaluate(f"() => window.parent.postMessage({spoof}, '*')")

    page.wait_for_function("() => window.spoofs.length === 2")
    assert page.evaluate("() => window.spoofs") == [sites.portal, other_site]
    assert page.eval_on_selector(POLL_FRAME, "f => f.style.height") == f"{height}px"
    assert page.locator(POLL_FRAME).get_attribute("title") == title


def block_third_party_cookies(page: Page) -> None:
    """Make the browser refuse every third-party cookie, as Safari does by default.

    Chromium's own setting (CDP Network.setCookieControls), so the requests stay the
    browser's own (re-sending them through route.fetch() changed their headers, and
    with them the reader's no-cookie fingerprint). Over plain HTTP the widget's
    cookie cannot be SameSite=None anyway; the tests also check that none was kept.
    """
    session = page.context.new_cdp_session(page)
    session.send(
        "Network.setCookieControls",
        {
            "enableThirdPartyCookieRestriction": True,
            "disableThirdPartyCookieMetadata": True,
            "disableThirdPartyCookieHeuristics": True,
        },
    )


def test_without_third_party_cookies_a_reader_votes_once_by_the_stored_identity(
    sites: Sites, context: BrowserContext, page: Page
) -> None:
    """Third-party cookies blocked (Safari's default): the widget's own storage keeps who
    the reader is (tests/embed/test_identity_browser.py has the crowd and the fallback)."""
    poll_id = make_poll(sites.widgets.app, OPTIONS, question=QUESTION)
    yes = option_ids(sites.widgets.app, poll_id)[0]
    block_third_party_cookies(page)
    page.goto(sites.portal + "/")
    frame = widget_frame(page)
    token = TOKEN_RE.search(frame.content()).group(1)

    frame.get_by_label("Да").check()
    frame.get_by_role("button", name="Голосовать").click()
    expect(frame.locator("#poll .notice-success")).to_have_text(THANKS)
    expect(frame.locator("#poll")).not_to_contain_text(NO_COOKIES)
    assert context.cookies() == []

    # The same reader comes back: recognised without a cookie, shown the results.
    page.reload()
    frame = widget_frame(page)
    expect(frame.locator("#poll .notice-info")).to_have_text(ALREADY_VOTED)
    expect(frame.locator("form.vote-form")).to_have_count(0)
    # Replaying the first form from inside the widget, as its script would, is refused.
    status = frame.evaluate(
        """([url, token, option]) => fetch(url, {
            method: 'POST',
            headers: {'HX-Request': 'true',
                      'X-Voter-Id': localStorage.getItem('polls-site:voter')},
            body: new URLSearchParams({token: token, option: option}),
        }).then((r) => r.status)""",
        [f"/w/poll/{poll_id}/vote", token, str(yes)],
    )
    assert status == 409
    assert ballot_count(sites.widgets.app, poll_id) == 1
    assert context.cookies() == []


@pytest.mark.parametrize("look", ["", "?theme=dark", "?accent=%23ff0&font=serif"])
def test_poll_widget_has_no_serious_accessibility_violations(
    sites: Sites, page: Page, look: str
) -> None:
    poll_id = make_poll(sites.widgets.app, OPTIONS, question=QUESTION)
    axe = Axe()
    page.goto(f"{sites.widget_origin}/w/poll/{poll_id}{look}")
    expect(page.locator("form.vote-form")).to_be_visible()
    found = serious(axe.run(page).response)

    page.get_by_label("Не знаю").check()
    page.get_by_role("button", name="Голосовать").click()
    expect(page.locator("#poll .notice-success")).to_have_text(THANKS)
    found += serious(axe.run(page).response)
    assert found == []


def serious(results: dict) -> list[str]:
    """The serious and critical axe-core violations, one line each."""
    return [
        f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']]}"
        for v in results["violations"]
        if v["impact"] in {"serious", "critical"}
    ]


def approve_pending(app: Flask) -> None:
    """What a moderator (or the auto-moderator) does: approve every waiting comment."""
    with app.app_context():
        for comment in db.session.scalars(sa.select(Comment).where(Comment.status == "pending")):
            change_status(comment, CommentStatus.APPROVED)
            db.session.commit()
            thread_changed(comment.thread_id, db.session.get(Thread, comment.thread_id).key)
        db.session.remove()


def count_of(page: Page, key: str):
    """The portal's "Комментарии [N]" number for ``key``."""
    return page.locator(f'[data-comment-count="{key}"]')


def comments_frame(page: Page) -> Frame:
    """The comment widget's frame (below the fold: scrolled to, so the lazy iframe loads)."""
    page.locator("#comments").scroll_into_view_if_needed()
    handle = page.wait_for_selector("[data-comments] iframe")
    frame = handle.content_frame()
    assert frame is not None
    frame.wait_for_selector("#comment-form")
    return frame


def test_counts_on_the_list_page_come_from_one_request(sites: Sites, page: Page) -> None:
    app = sites.widgets.app
    article = make_thread(app, ARTICLE.key)
    for text in ("Первый", "Второй"):
        make_comment(app, text, thread=article)
    make_comment(app, "Ждёт модерации", thread=article, status=CommentStatus.PENDING)
    make_comment(app, "Про рейтинг", thread=make_thread(app, NEWS[0].key))
    asked: list[str] = []
    page.on("request", lambda r: asked.append(r.url) if "/api/comments/count" in r.url else None)

    page.goto(sites.portal + "/")
    expect(count_of(page, ARTICLE.key)).to_have_text("2")
    expect(count_of(page, NEWS[0].key)).to_have_text("1")
    for story in NEWS[1:]:
        expect(count_of(page, story.key)).to_have_text("0")
    assert len(asked) == 1
    assert all(f"key={story.key}" in asked[0] for story in [ARTICLE, *NEWS])


def test_a_comment_posted_on_the_portal_counts_once_approved(
    sites: Sites, browser: Browser, page: Page
) -> None:
    make_poll(sites.widgets.app, OPTIONS, question=QUESTION)
    page.goto(sites.portal + "/")
    iframe = page.locator("[data-comments] iframe")
    expect(iframe).to_have_attribute("loading", "lazy")
    frame = comments_frame(page)
    expect(iframe).to_have_attribute("title", f"Комментарии — {ARTICLE.title}")
    expect(count_of(page, ARTICLE.key)).to_have_text("0")

    frame.get_by_label("Ваше имя").fill("Айгерим")
    frame.get_by_label("Комментарий", exact=True).fill("Хорошие новости для приграничных районов.")
    frame.get_by_role("button", name="Отправить").click()
    expect(frame.locator("#own-comments")).to_contain_text("на модерации")
    with sites.widgets.app.app_context():
        thread = db.session.scalar(sa.select(Thread))
        assert (thread.key, thread.title, thread.url) == (
            ARTICLE.key,
            ARTICLE.title,
            sites.portal + "/",
        )
        db.session.remove()

    approve_pending(sites.widgets.app)
    # Another reader (a fresh browser, no cached counts) sees the new count and comment.
    other = browser.new_context()
    try:
        other.set_default_timeout(WAIT_MS)
        reader = other.new_page()
        reader.goto(sites.portal + "/")
        expect(count_of(reader, ARTICLE.key)).to_have_text("1")
        expect(comments_frame(reader).locator("#comment-items")).to_contain_text(
            "Хорошие новости для приграничных районов."
        )
    finally:
        other.close()


def test_a_signed_snippet_corrects_a_squatted_thread_end_to_end(
    signed_sites: Sites, page: Page
) -> None:
    """A squatter opened the thread first with a forged Referer and title; the portal's
    signed snippet, through embed.js, gives it the article's title and URL back."""
    widgets = signed_sites.widgets
    forged = urllib.parse.urlencode({"title": "Подделка", "url": f"{signed_sites.portal}/fake"})
    squat = urllib.request.Request(
        widgets.url(f"/w/comments/{ARTICLE.key}?{forged}"),
        headers={"Referer": f"{signed_sites.portal}/"},
    )
    with urllib.request.urlopen(squat, timeout=10) as response:
        assert response.status == 200
    with widgets.app.app_context():
        assert db.session.execute(sa.select(Thread.title, Thread.url)).one() == ("", "")
        db.session.remove()
    page.goto(signed_sites.portal + "/")
    iframe = page.locator("[data-comments] iframe")
    frame = comments_frame(page)
    expect(iframe).to_have_attribute("src", re.compile(r"[?&]sig=[0-9a-f]{64}(&|$)"))
    expect(iframe).to_have_attribute("title", f"Комментарии — {ARTICLE.title}")
    frame.get_by_label("Ваше имя").fill("Айгерим")
    frame.get_by_label("Комментарий", exact=True).fill("Подпись проверена.")
    frame.get_by_role("button", name="Отправить").click()
    expect(frame.locator("#own-comments")).to_contain_text("на модерации")
    with widgets.app.app_context():
        thread = db.session.scalar(sa.select(Thread))
        assert (thread.title, thread.url) == (ARTICLE.title, signed_sites.portal + "/")
        db.session.remove()


def test_without_third_party_cookies_a_reader_can_still_comment(
    sites: Sites, context: BrowserContext, page: Page
) -> None:
    block_third_party_cookies(page)
    page.goto(sites.portal + "/")
    frame = comments_frame(page)
    frame.get_by_label("Ваше имя").fill("Бакыт")
    frame.get_by_label("Комментарий", exact=True).fill("Пишу без cookie.")
    frame.get_by_role("button", name="Отправить").click()
    expect(frame.locator("#own-comments")).to_contain_text("на модерации")
    assert context.cookies() == []
    with sites.widgets.app.app_context():
        texts = db.session.scalars(sa.select(Comment.text)).all()
        db.session.remove()
    assert texts == ["Пишу без cookie."]


@pytest.mark.parametrize("look", ["light", "dark"])
def test_comment_widget_has_no_serious_accessibility_violations(
    sites: Sites, page: Page, look: str
) -> None:
    app = sites.widgets.app
    thread = make_thread(app, ARTICLE.key)
    first = make_comment(
        app, "Давно пора было наладить диалог.", thread=thread, author_name="Азамат", likes=3
    )
    make_comment(app, "Согласна.", thread=thread, author_name="Гульнара", parent_id=first)
    page.goto(f"{sites.widget_origin}/w/comments/{ARTICLE.key}?theme={look}")
    page.get_by_label("Ваше имя").fill("Ерлан")
    page.get_by_label("Комментарий", exact=True).fill("Мой комментарий")
    page.get_by_role("button", name="Отправить").click()
    expect(page.locator("#own-comments")).to_contain_text("на модерации")
    # An error state too: the form's messages must be readable and tied to their fields.
    page.get_by_role("button", name="Отправить").click()
    expect(page.locator("#comment-text-error")).to_have_text("Напишите комментарий.")
    assert serious(Axe().run(page).response) == []
