"""The demo portal as readers meet it in Chromium beyond the usual case: without scripts
(the snippet's plain iframes, a comments link that needs none), in another time zone
(Bishkek is an hour ahead of the site's Almaty), and arriving from a feed at one comment."""

from __future__ import annotations

import urllib.request
import xml.etree.ElementTree as ET
from datetime import UTC, datetime

import pytest
from playwright.sync_api import Browser, Page, expect

from polls_site.demo.portal.content import ARTICLE
from tests.embed.test_embed_browser import Sites, comments_frame, sites  # noqa: F401
from tests.support.browser import WAIT_MS
from tests.support.factories import make_comment, make_poll, make_thread

pytestmark = [pytest.mark.browser, pytest.mark.live]

QUESTION = "Нужна ли Бишкеку новая объездная дорога?"
WRITTEN = datetime(2026, 3, 12, 9, 5, tzinfo=UTC)  # 14:05 in Almaty, 15:05 in Bishkek
ALMATY_TEXT = "12 марта 2026, 14:05 (Алматы)"
BISHKEK_TEXT = "12 марта 2026, 15:05"
ATOM = "{http://www.w3.org/2005/Atom}"


def test_without_scripts_the_portal_still_shows_the_poll_comments_and_a_comments_link(
    sites: Sites,  # noqa: F811
    browser: Browser,
) -> None:
    app = sites.widgets.app
    make_poll(app, ["Да", "Нет"], question=QUESTION)
    thread = make_thread(app, ARTICLE.key, title=ARTICLE.title)
    make_comment(app, "Дорога нужна давно.", thread=thread, created_at=WRITTEN)
    context = browser.new_context(java_script_enabled=False)
    try:
        context.set_default_timeout(WAIT_MS)
        page = context.new_page()
        page.goto(sites.portal + "/")

        link = page.locator("a.comment-link")
        expect(link).to_have_text("Комментарии", use_inner_text=True)  # no made-up "[0]"
        expect(link).to_have_attribute("href", "#comments")

        poll = page.frame_locator("[data-poll] iframe")
        expect(poll.get_by_role("heading", name=QUESTION)).to_be_visible()
        poll.get_by_label("Нет").check()
        poll.get_by_role("button", name="Голосовать").click()
        expect(poll.locator("#poll .notice-success")).to_have_text("Спасибо! Ваш голос учтён.")

        comments = page.frame_locator("[data-comments] iframe")
        expect(comments.locator("#comment-items")).to_contain_text("Дорога нужна давно.")
        # No script to rewrite it in the reader's zone: the site's zone is named.
        expect(comments.locator("#comment-items time")).to_have_text(ALMATY_TEXT)
    finally:
        context.close()


def test_times_are_shown_in_the_reader_s_zone(sites: Sites, browser: Browser) -> None:  # noqa: F811
    app = sites.widgets.app
    thread = make_thread(app, ARTICLE.key, title=ARTICLE.title)
    make_comment(app, "Из Бишкека видно лучше.", thread=thread, created_at=WRITTEN)
    with urllib.request.urlopen(sites.widgets.url(f"/w/comments/{ARTICLE.key}"), timeout=10) as r:
        assert ALMATY_TEXT in r.read().decode()  # what the server writes
    context = browser.new_context(timezone_id="Asia/Bishkek")
    try:
        context.set_default_timeout(WAIT_MS)
        page = context.new_page()
        page.goto(sites.portal + "/")
        time = comments_frame(page).locator("#comment-items time")
        # An hour later than the site's clock, and no zone named: the reader's own.
        expect(time).to_have_text(BISHKEK_TEXT)
        expect(time).to_have_attribute("datetime", "2026-03-12T09:05:00Z")
        expect(page.locator("a.comment-link")).to_have_text("Комментарии [1]")
    finally:
        context.close()


def test_a_feed_entry_opens_the_article_scrolled_to_its_comment(
    sites: Sites,  # noqa: F811
    page: Page,
) -> None:
    app = sites.widgets.app
    thread = make_thread(app, ARTICLE.key, title=ARTICLE.title, url=sites.portal + "/")
    # Newest first: the first comment ends up at the bottom of a long widget.
    ids = [
        make_comment(app, f"Комментарий номер {n}. " + "Длинный текст. " * 30, thread=thread)
        for n in range(12)
    ]
    feed_url = sites.widgets.url(f"/w/comments/{ARTICLE.key}/-/feed.atom")
    with urllib.request.urlopen(feed_url, timeout=10) as response:
        entries = ET.fromstring(response.read()).findall(f"{ATOM}entry")
    links = [e.find(f"{ATOM}link").get("href") for e in entries]
    assert links[-1] == f"{sites.portal}/#comment-{ids[0]}"

    page.goto(links[-1])
    frame = page.frame_locator("[data-comments] iframe")
    expect(frame.locator(f"#comment-{ids[0]}")).to_be_in_viewport()
    expect(frame.locator(f"#comment-{ids[-1]}")).not_to_be_in_viewport()

    # The namespaced anchor, for portals with ids of their own called comment-N.
    page.goto("about:blank")
    page.goto(f"{sites.portal}/#polls-site-comment-{ids[1]}")
    frame = page.frame_locator("[data-comments] iframe")
    expect(frame.locator(f"#comment-{ids[1]}")).to_be_in_viewport()
