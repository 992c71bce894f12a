"""The poll widget in a real browser (Debian's Chromium through Playwright) against gunicorn:
htmx swaps and polling, a cross-site iframe, a repeated vote, and no JavaScript at all."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from playwright.sync_api import Browser, Page, expect

from polls_site.core.db import db
from polls_site.models import Ballot, BallotChoice
from tests.support.browser import WAIT_MS, Portal
from tests.support.factories import make_poll, option_ids
from tests.support.live import LiveServer, ballot_count, seed_ballots

pytestmark = [pytest.mark.browser, pytest.mark.live]

OPTIONS = ["Да", "Нет", "Не знаю"]
VOTE = "Голосовать"
THANKS = "Спасибо! Ваш голос учтён."
ALREADY_VOTED = "Вы проголосовали в этом опросе."


def chosen_options(server: LiveServer, poll_id: int) -> list[int]:
    """The option id of every ballot of the poll."""
    with server.app.app_context():
        rows = db.session.scalars(
            sa.select(BallotChoice.option_id)
            .join(Ballot, Ballot.id == BallotChoice.ballot_id)
            .where(Ballot.poll_id == poll_id)
        ).all()
        db.session.remove()
        return list(rows)


def test_htmx_vote_swaps_results_in_place_and_polling_picks_up_the_worker(
    live_factory, page: Page
) -> None:
    server = live_factory(RESULTS_POLL_SECONDS=1)
    poll_id = make_poll(server.app, OPTIONS)
    yes, no, _ = option_ids(server.app, poll_id)
    seed_ballots(server.app, poll_id, [yes, yes, no, yes])  # snapshot version 1, 4 votes

    page.goto(server.url(f"/w/poll/{poll_id}"))
    page.wait_for_function("() => window.htmx !== undefined")
    page.evaluate("() => { window.__sameDocument = 'kept'; }")
    page.get_by_label("Нет").check()
    page.get_by_role("button", name=VOTE).click()

    results = page.locator("#poll-results")
    expect(results).to_be_visible()
    expect(page.locator("#poll .total")).to_have_text("Всего голосов: 5")
    expect(page.locator("#poll .notice-success")).to_have_text(THANKS)
    expect(page.locator("form.vote-form")).to_have_count(0)
    # htmx swapped a fragment: the document (and its JS state) is the one we voted from.
    assert page.evaluate("() => window.__sameDocument") == "kept"
    shown = int(results.get_attribute("data-version"))
    assert shown == 1

    server.start_worker()
    page.wait_for_function(
        "v => Number(document.querySelector('#poll-results')?.dataset.version) > v",
        arg=shown,
        timeout=WAIT_MS,
    )
    # The new snapshot is the worker's count, which includes this vote.
    expect(page.locator("#poll .total")).to_have_text("Всего голосов: 5")
    assert page.evaluate("() => window.__sameDocument") == "kept"
    assert sorted(chosen_options(server, poll_id)) == sorted([yes, yes, no, yes, no])


def test_vote_inside_an_iframe_on_another_origin(live_factory, portal: Portal, page: Page) -> None:
    server = live_factory(EMBED_ALLOWED_ORIGINS=portal.origin)
    poll_id = make_poll(server.app, OPTIONS)
    yes = option_ids(server.app, poll_id)[0]
    # 127.0.0.1 and localhost are different sites: the widget is a third-party iframe.
    widget = server.url(f"/w/poll/{poll_id}", host="localhost")
    portal.pages["/article.html"] = (
        '<!doctype html><html lang="ru"><meta charset="utf-8"><title>Статья</title>'
        f'<h1>Наш опрос</h1><iframe id="poll-frame" src="{widget}" width="360" height="520">'
        "</iframe></html>"
    )

    page.goto(f"{portal.origin}/article.html")
    frame = page.frame_locator("#poll-frame")
    frame.get_by_label("Да").check()
    frame.get_by_role("button", name=VOTE).click()

    expect(frame.locator("#poll-results")).to_be_visible()
    expect(frame.locator("#poll .total")).to_have_text("Всего голосов: 1")
    expect(frame.locator("#poll .notice-success")).to_have_text(THANKS)
    assert page.url == f"{portal.origin}/article.html"
    assert chosen_options(server, poll_id) == [yes]


def test_second_visit_shows_results_and_a_replayed_vote_is_refused(
    live_server: LiveServer, page: Page
) -> None:
    poll_id = make_poll(live_server.app, OPTIONS)
    dont_know = option_ids(live_server.app, poll_id)[2]
    widget = live_server.url(f"/w/poll/{poll_id}")

    page.goto(widget)
    token = page.locator('input[name="token"]').get_attribute("value")
    page.get_by_label("Не знаю").check()
    page.get_by_role("button", name=VOTE).click()
    expect(page.locator("#poll .notice-success")).to_have_text(THANKS)

    page.reload()
    expect(page.locator("#poll-results")).to_be_visible()
    expect(page.locator("#poll .notice-info")).to_have_text(ALREADY_VOTED)
    expect(page.locator("#poll .total")).to_have_text("Всего голосов: 1")
    expect(page.locator("form.vote-form")).to_have_count(0)
    expect(page.get_by_role("button", name=VOTE)).to_have_count(0)

    # The same browser (its cookies) posting the old form again is refused.
    replay = page.request.post(
        live_server.url(f"/w/poll/{poll_id}/vote"),
        form={"token": token, "option": str(dont_know)},
        headers={"HX-Request": "true"},
    )
    assert replay.status == 409
    assert "Вы уже голосовали в этом опросе." in replay.text()
    replay.dispose()
    assert ballot_count(live_server.app, poll_id) == 1


def test_without_javascript_the_form_posts_and_redirects(
    live_server: LiveServer, browser: Browser
) -> None:
    poll_id = make_poll(live_server.app, OPTIONS)
    no = option_ids(live_server.app, poll_id)[1]
    context = browser.new_context(java_script_enabled=False)
    try:
        context.set_default_timeout(WAIT_MS)
        page = context.new_page()
        page.goto(live_server.url(f"/w/poll/{poll_id}"))
        page.get_by_label("Нет").check()
        with page.expect_response(lambda r: r.request.method == "POST") as posted:
            page.get_by_role("button", name=VOTE).click()
        page.wait_for_url(f"**/w/poll/{poll_id}?done=1")

        assert posted.value.status == 303
        assert "hx-request" not in posted.value.request.headers
        expect(page.locator("#poll .notice-success")).to_have_text(THANKS)
        expect(page.locator("#poll-results")).to_be_visible()
        expect(page.locator("#poll .total")).to_have_text("Всего голосов: 1")
        assert chosen_options(live_server, poll_id) == [no]
    finally:
        context.close()
