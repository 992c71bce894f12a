"""One vote per person, not per network, in Chromium: readers who keep no cookie are told
apart by the identity the widget keeps in its own (partitioned) storage, and the
same-site deployment keeps a first-party cookie (docs/identity.md)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
import sqlalchemy as sa
from playwright.sync_api import Browser, BrowserContext, Frame, Page, expect

from polls_site.core.db import db
from polls_site.demo.portal import create_portal_app
from polls_site.models import BallotChoice
from polls_site.widget.voters import VOTER_COOKIE
from tests.embed.test_embed_browser import (
    ALREADY_VOTED,
    NO_COOKIES,
    OPTIONS,
    QUESTION,
    THANKS,
    Sites,
    block_third_party_cookies,
    serve,
    widget_frame,
)
from tests.embed.test_embed_https_browser import HttpsSites, https_sites, tls  # noqa: F401
from tests.support.browser import CHROMIUM, CHROMIUM_ARGS, WAIT_MS
from tests.support.factories import make_poll, option_ids
from tests.support.live import LiveServer, ballot_count, free_port

pytestmark = [pytest.mark.browser, pytest.mark.live, pytest.mark.both_databases]

PROFILES = 20
NETWORK_LIMIT = "Слишком много голосов из вашей сети"
OWN_LABEL = "ваш выбор"


@pytest.fixture
def crowd(live_factory: Callable[..., LiveServer]) -> Iterator[Sites]:
    """The cross-site setup (widgets on localhost, portal on 127.0.0.1) with the per-address
    limit out of the way and the per-network limit at the crowd's size."""
    port = free_port()
    widgets = live_factory(
        EMBED_ALLOWED_ORIGINS=f"http://127.0.0.1:{port}",
        VOTE_LIMIT_IP_POLL="100/600",
        VOTE_LIMIT_NET_POLL=f"{PROFILES}/600",
    )
    with serve(create_portal_app(f"http://localhost:{widgets.port}"), port) as portal:
        yield Sites(widgets, portal)


def vote_without_cookies(page: Page, portal: str, choice: str) -> Frame:
    """Open the portal, lose every cookie, then vote for ``choice`` in the poll iframe."""
    page.goto(portal + "/")
    frame = widget_frame(page)
    page.context.clear_cookies()
    frame.get_by_label(choice).check()
    frame.get_by_role("button", name="Голосовать").click()
    return frame


def come_back_without_cookies(page: Page, portal: str) -> Frame:
    """The same profile returns with its cookies gone (its storage kept)."""
    page.context.clear_cookies()
    assert not [c for c in page.context.cookies() if c["name"] == VOTER_COOKIE]
    page.reload()
    frame = widget_frame(page)
    expect(frame.locator("#poll .notice-info")).to_have_text(ALREADY_VOTED)
    return frame


def revote_status(frame: Frame, poll_id: int, option: int) -> int:
    """POST a vote from inside the widget as its script would (the stored identity), with
    a token from the form every new reader gets."""
    return frame.evaluate(
        """async ([page, option]) => {
            const shared = await (await fetch(page, {credentials: 'omit'})).text();
            const token = /name="token" value="([^"]+)"/.exec(shared)[1];
            const reply = await fetch(page + '/vote', {
                method: 'POST',
                headers: {'HX-Request': 'true',
                          'X-Voter-Id': localStorage.getItem('polls-site:voter')},
                body: new URLSearchParams({token: token, option: option}),
            });
            return reply.status;
        }""",
        [f"/w/poll/{poll_id}", str(option)],
    )


def test_twenty_profiles_behind_one_address_each_vote_once(crowd: Sites, browser: Browser) -> None:
    """One address, one User-Agent, one language, no cookies: 20 people, 20 ballots."""
    poll_id = make_poll(crowd.widgets.app, OPTIONS, question=QUESTION)
    options = option_ids(crowd.widgets.app, poll_id)
    pages = []
    for i in range(PROFILES):
        context = browser.new_context()
        context.set_default_timeout(WAIT_MS)
        page = context.new_page()
        frame = vote_without_cookies(page, crowd.portal, OPTIONS[i % 2])
        expect(frame.locator("#poll .notice-success")).to_have_text(THANKS)
        # Known by its stored identity, so not told about the network fallback.
        expect(frame.locator("#poll")).not_to_contain_text(NO_COOKIES)
        pages.append(page)
    assert ballot_count(crowd.widgets.app, poll_id) == PROFILES

    for i, page in enumerate(pages[:3]):
        frame = come_back_without_cookies(page, crowd.portal)
        own = frame.locator("#poll .result.own")
        expect(own).to_have_count(1)
        expect(own).to_contain_text(OPTIONS[i % 2])
        expect(own).to_contain_text(OWN_LABEL)
        assert revote_status(frame, poll_id, options[2]) == 409
    assert ballot_count(crowd.widgets.app, poll_id) == PROFILES

    # The per-network limit still caps what one /24 can add, storage or not.
    late = browser.new_context().new_page()
    late.set_default_timeout(WAIT_MS)
    frame = vote_without_cookies(late, crowd.portal, OPTIONS[0])
    expect(frame.locator("#poll .notice-error")).to_contain_text(NETWORK_LIMIT)
    assert ballot_count(crowd.widgets.app, poll_id) == PROFILES
    for page in [*pages, late]:
        page.context.close()


def test_without_cookies_or_storage_the_fingerprint_is_the_last_resort(
    crowd: Sites, context: BrowserContext, page: Page
) -> None:
    """A browser that keeps neither: one vote per network and browser, and it is told."""
    poll_id = make_poll(crowd.widgets.app, OPTIONS, question=QUESTION)
    # Storage refused, as a browser set to keep no site data refuses it.
    page.add_init_script(
        "Object.defineProperty(window, 'localStorage', {get() { throw new DOMException("
        "'denied', 'SecurityError'); }});"
    )
    frame = vote_without_cookies(page, crowd.portal, OPTIONS[0])
    expect(frame.locator("#poll .notice-info")).to_contain_text(NO_COOKIES)
    other = context.browser.new_context().new_page()
    other.set_default_timeout(WAIT_MS)
    other.add_init_script(
        "Object.defineProperty(window, 'localStorage', {get() { throw new DOMException("
        "'denied', 'SecurityError'); }});"
    )
    frame = vote_without_cookies(other, crowd.portal, OPTIONS[1])
    expect(frame.locator("#poll .notice-error")).to_contain_text("Вы уже голосовали")
    assert ballot_count(crowd.widgets.app, poll_id) == 1
    other.context.close()


def test_third_party_cookies_blocked_storage_still_tells_readers_apart(
    crowd: Sites, browser: Browser
) -> None:
    poll_id = make_poll(crowd.widgets.app, OPTIONS, question=QUESTION)
    for choice in OPTIONS[:2]:
        context = browser.new_context()
        context.set_default_timeout(WAIT_MS)
        page = context.new_page()
        block_third_party_cookies(page)
        frame = vote_without_cookies(page, crowd.portal, choice)
        expect(frame.locator("#poll .notice-success")).to_have_text(THANKS)
        # The widget's cookie really was dropped: only the stored identity remains.
        assert [c for c in context.cookies() if c["name"] == VOTER_COOKIE] == []
        come_back_without_cookies(page, crowd.portal)
        context.close()
    assert ballot_count(crowd.widgets.app, poll_id) == 2


# The recommended deployment: the widgets on a host of the portal's own site.
PORTAL_HOST, WIDGET_HOST = "news.portal.test", "polls.portal.test"


@pytest.fixture(scope="module")
def same_site_browser(browser: Browser) -> Iterator[Browser]:
    """A second Chromium (of the same Playwright) resolving the portal's two host names to
    this machine."""
    chromium = browser.browser_type.launch(
        executable_path=CHROMIUM,
        args=[*CHROMIUM_ARGS, "--host-resolver-rules=MAP *.portal.test 127.0.0.1"],
    )
    yield chromium
    chromium.close()


def test_same_site_widgets_keep_a_first_party_cookie(
    live_factory: Callable[..., LiveServer], same_site_browser: Browser
) -> None:
    port = free_port()
    widgets = live_factory(EMBED_ALLOWED_ORIGINS=f"http://{PORTAL_HOST}:{port}")
    poll_id = make_poll(widgets.app, OPTIONS, question=QUESTION)
    widget_origin = f"http://{WIDGET_HOST}:{widgets.port}"
    with serve(create_portal_app(widget_origin), port):
        context = same_site_browser.new_context()
        context.set_default_timeout(WAIT_MS)
        page = context.new_page()
        block_third_party_cookies(page)  # does not touch a same-site frame's cookie
        page.goto(f"http://{PORTAL_HOST}:{port}/")
        frame = widget_frame(page)
        assert frame.url.startswith(widget_origin + "/w/poll/")
        frame.get_by_label(OPTIONS[0]).check()
        frame.get_by_role("button", name="Голосовать").click()
        expect(frame.locator("#poll .notice-success")).to_have_text(THANKS)
        [cookie] = [c for c in context.cookies() if c["name"] == VOTER_COOKIE]
        assert cookie["domain"] == WIDGET_HOST and "partitionKey" not in cookie
        # Storage wiped, cookie kept: the cookie alone recognises the reader.
        frame.evaluate("() => localStorage.clear()")
        page.reload()
        frame = widget_frame(page)
        expect(frame.locator("#poll .notice-info")).to_have_text(ALREADY_VOTED)
        expect(frame.locator("#poll .result.own")).to_contain_text(OPTIONS[0])
        context.close()
    assert ballot_count(widgets.app, poll_id) == 1


def test_a_reader_changes_their_vote_in_the_embedded_widget(crowd: Sites, page: Page) -> None:
    """A poll that allows changes: the reader (known by storage alone) changes «Да» to
    «Нет»; one ballot, the new choice stored and marked as theirs."""
    app = crowd.widgets.app
    poll_id = make_poll(app, OPTIONS, question=QUESTION, allow_vote_change=True)
    yes, no, _ = option_ids(app, poll_id)
    frame = vote_without_cookies(page, crowd.portal, OPTIONS[0])
    expect(frame.locator("#poll .notice-success")).to_have_text(THANKS)
    frame = come_back_without_cookies(page, crowd.portal)
    frame.get_by_role("link", name="Изменить голос").click()
    expect(frame.get_by_label(OPTIONS[0])).to_be_checked()  # the current choice, preselected
    frame.get_by_label(OPTIONS[1]).check()
    frame.get_by_role("button", name="Изменить голос").click()
    expect(frame.locator("#poll .notice-success")).to_have_text("Ваш голос изменён.")
    expect(frame.locator("#poll .result.own")).to_contain_text(OPTIONS[1])
    assert ballot_count(app, poll_id) == 1
    with app.app_context():
        chosen = db.session.scalars(
            sa.select(BallotChoice.option_id).where(BallotChoice.poll_id == poll_id)
        ).all()
    assert chosen == [no] and yes not in chosen


@pytest.fixture
def secure(https_sites: HttpsSites) -> HttpsSites:  # noqa: F811 - the imported fixture
    """Both sites over HTTPS (tests/embed/test_embed_https_browser.py)."""
    return https_sites


def test_over_https_with_third_party_cookies_blocked_profiles_losing_cookies_vote_once(
    secure: HttpsSites, browser: Browser
) -> None:
    """HTTPS, third-party cookies blocked, and every cookie (the partitioned one too) lost
    before voting and before coming back: the stored identity alone tells them apart."""
    poll_id = make_poll(secure.widgets, OPTIONS, question=QUESTION)
    for choice in OPTIONS[:3]:
        context = browser.new_context(ignore_https_errors=True)
        context.set_default_timeout(WAIT_MS)
        page = context.new_page()
        block_third_party_cookies(page)
        frame = vote_without_cookies(page, secure.portal, choice)
        assert frame.url.startswith(secure.widget_origin + "/w/poll/")
        expect(frame.locator("#poll .notice-success")).to_have_text(THANKS)
        expect(frame.locator("#poll")).not_to_contain_text(NO_COOKIES)
        frame = come_back_without_cookies(page, secure.portal)
        expect(frame.locator("#poll .result.own")).to_contain_text(choice)
        context.close()
    assert ballot_count(secure.widgets, poll_id) == 3
