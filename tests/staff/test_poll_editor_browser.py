"""The poll editor and the archive in a real browser: htmx row editing, the live preview,
and a vote from a poll's archive page."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from playwright.sync_api import BrowserContext, Page, expect

from polls_site.core.db import db
from polls_site.models import AuditEntry, Poll, Role, utcnow

# Importing test_browser skips this module too when Chromium is missing.
from tests.polls.test_browser import THANKS, VOTE
from tests.support.factories import PASSWORD, add_ballots, make_poll, make_staff, option_ids
from tests.support.live import LiveServer, ballot_count

pytestmark = [pytest.mark.browser, pytest.mark.live]


@pytest.fixture
def tab(context: BrowserContext) -> Page:
    """A page in a fresh browser profile."""
    return context.new_page()


def log_in(tab: Page, server: LiveServer, username: str) -> None:
    tab.goto(server.url("/staff/login"))
    tab.fill("input[name=username]", username)
    tab.fill("input[name=password]", PASSWORD)
    tab.locator("form button[type=submit], form input[type=submit]").first.click()
    tab.wait_for_url("**/staff/**")


def test_editor_rows_and_live_preview_without_reloads(live_server: LiveServer, tab: Page) -> None:
    make_staff(live_server.app, "ed", Role.EDITOR)
    log_in(tab, live_server, "ed")
    tab.goto(live_server.url("/staff/polls/new"))
    tab.evaluate("window.notReloaded = true")
    tab.fill("#question", "Какой сегодня день?")
    tab.fill("input[name=text-new1]", "Понедельник")
    tab.fill("input[name=text-new2]", "Пятница")
    preview = tab.locator("#preview")
    expect(preview.locator(".poll-question")).to_have_text("Какой сегодня день?")
    expect(preview.locator(".option")).to_have_text(["Понедельник", "Пятница"])
    tab.get_by_role("button", name="Добавить вариант").click()
    tab.locator("input[name=text-new3]").fill("Среда")
    tab.locator("li.option-row").nth(2).get_by_role("button", name="Выше").click()
    rows = tab.locator("li.option-row input[name^=text-]")
    for i, text in enumerate(["Понедельник", "Среда", "Пятница"]):
        expect(rows.nth(i)).to_have_value(text)
    expect(preview.locator(".option")).to_have_text(["Понедельник", "Среда", "Пятница"])
    assert tab.evaluate("window.notReloaded") is True  # all of it was htmx swaps
    tab.get_by_role("button", name="Сохранить").click()
    expect(tab.locator(".notice-success")).to_have_text("Опрос сохранён.")


def test_options_reorder_by_dragging_a_handle(live_server: LiveServer, tab: Page) -> None:
    poll_id = make_poll(live_server.app, ["Один", "Два", "Три"], question="Порядок?")
    make_staff(live_server.app, "ed", Role.EDITOR)
    log_in(tab, live_server, "ed")
    tab.goto(live_server.url(f"/staff/polls/{poll_id}"))
    rows = tab.locator("li.option-row")
    # The last row's handle dropped on the top half of the first row: it goes first.
    rows.nth(2).locator(".drag-handle").drag_to(rows.nth(0), target_position={"x": 5, "y": 2})
    texts = tab.locator("li.option-row input[name^=text-]")
    for i, text in enumerate(["Три", "Один", "Два"]):
        expect(texts.nth(i)).to_have_value(text)
    expect(tab.locator("#preview .option")).to_have_text(["Три", "Один", "Два"])
    tab.get_by_role("button", name="Сохранить").click()
    expect(tab.locator(".notice-success")).to_have_text("Опрос сохранён.")
    with live_server.app.app_context():
        poll = db.session.get(Poll, poll_id)
        assert [o.text for o in poll.options] == ["Три", "Один", "Два"]
        db.session.remove()


def test_vote_from_the_archive_page(live_server: LiveServer, tab: Page) -> None:
    poll_id = make_poll(live_server.app, ["Да", "Нет"], question="Из архива?")
    tab.goto(live_server.url("/polls/"))
    tab.get_by_role("link", name=VOTE).click()
    tab.wait_for_url(f"**/polls/{poll_id}")
    tab.get_by_label("Нет").check()
    tab.get_by_role("button", name=VOTE).click()
    expect(tab.locator("#poll .notice-success")).to_have_text(THANKS)
    assert tab.url.endswith(f"/polls/{poll_id}")  # swapped in place, still the archive page
    assert ballot_count(live_server.app, poll_id) == 1


def test_close_now_asks_then_can_be_undone(live_server: LiveServer, tab: Page) -> None:
    poll_id = make_poll(live_server.app, ["Да", "Нет"], question="Закрыть?")
    make_staff(live_server.app, "ed", Role.EDITOR)
    log_in(tab, live_server, "ed")
    tab.goto(live_server.url(f"/staff/polls/{poll_id}"))
    tab.evaluate("window.notReloaded = true")
    tab.get_by_role("button", name="Закрыть сейчас", exact=True).click()
    # The question is swapped into the status section; nothing is closed yet.
    status = tab.locator("#poll-status")
    expect(status.locator(".confirm-close")).to_contain_text("Закрыть опрос сейчас?")
    assert tab.evaluate("window.notReloaded") is True
    with live_server.app.app_context():
        assert db.session.get(Poll, poll_id).status == "open"
        db.session.remove()
    tab.get_by_role("button", name="Да, закрыть сейчас").click()
    expect(tab.locator(".notice-success")).to_contain_text("Опрос закрыт.")
    expect(tab.locator("input[name^=text-]").first).to_be_disabled()
    tab.get_by_role("button", name="Отменить закрытие").click()
    expect(tab.locator(".notice-success")).to_have_text("Состояние опроса изменено.")
    expect(tab.get_by_role("button", name="Закрыть сейчас", exact=True)).to_be_visible()
    expect(tab.locator("input[name^=text-]").first).to_be_enabled()
    with live_server.app.app_context():
        assert db.session.get(Poll, poll_id).status == "open"
        actions = db.session.scalars(
            sa.select(AuditEntry.action)
            .where(AuditEntry.target_type == "poll")
            .order_by(AuditEntry.id)
        ).all()
        db.session.remove()
    assert actions == ["poll.close", "poll.close_undo"]


def test_analytics_chart_marks_the_running_hour_and_has_a_table(
    live_server: LiveServer, tab: Page
) -> None:
    app = live_server.app
    poll_id = make_poll(app, ["Да", "Нет"], question="График?")
    yes, no = option_ids(app, poll_id)
    hour_ago = utcnow() - timedelta(hours=1)
    add_ballots(app, poll_id, [yes, yes, no, yes], created_at=[hour_ago] * 3 + [utcnow()])
    make_staff(app, "ed", Role.EDITOR)
    log_in(tab, live_server, "ed")
    tab.goto(live_server.url(f"/staff/polls/{poll_id}/analytics"))
    votes = tab.locator("svg.chart").first
    partial = votes.locator("line.partial")
    expect(partial).to_have_count(1)
    style = partial.evaluate(
        "el => { const s = getComputedStyle(el); return [s.strokeDasharray, s.strokeOpacity] }"
    )
    assert style[0] != "none" and float(style[1]) < 1
    expect(tab.locator(".partial-note").first).to_contain_text("час не закончился")
    # Okabe–Ito: blue, then orange (not red next to green), each with its own dashes.
    lines = tab.locator("svg.chart").nth(1).locator("polyline.line")
    strokes = lines.evaluate_all(
        "els => els.map(el => [getComputedStyle(el).stroke, getComputedStyle(el).strokeDasharray])"
    )
    assert [s for s, _d in strokes] == ["rgb(0, 114, 178)", "rgb(230, 159, 0)"]
    assert strokes[0][1] != strokes[1][1]
    # The table alternative: closed at first, the same numbers once opened.
    table = tab.get_by_role("table", name="Голоса по времени")
    expect(table).to_be_hidden()
    tab.get_by_text("Голоса по времени — таблица").click()
    expect(table).to_be_visible()
    expect(table.locator("tbody tr")).to_have_count(2)
    expect(table.locator("tbody tr").last).to_contain_text("час не закончился")
    expect(table.locator("tbody tr td")).to_have_text(["3", "1"])
