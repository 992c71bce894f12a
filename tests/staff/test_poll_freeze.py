"""Closed results are frozen: every path that would change a closed poll's published outcome
is refused (409, nothing written) until an admin reopens it; «close now» asks first and the
closing editor may undo it for 60 seconds, audited."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask

from polls_site.core.db import db
from polls_site.models import Poll, PollStatus, utcnow
from polls_site.polls import lifecycle
from polls_site.polls.lifecycle import apply_schedule, can_undo_close, results_frozen
from polls_site.staff.poll_editor.store import PollFrozen, PollSettings, save_poll
from tests.staff.test_poll_editor import audit_actions, poll_form, stored
from tests.support.factories import add_ballots, closed_poll_fields, make_poll, option_ids
from tests.support.staff import StaffClient

FROZEN = "Опрос закрыт: вопрос, варианты и настройки остаются такими, какими их видели читатели."
TOO_LATE = "Закрытие уже нельзя отменить"


def closed_with_votes(app: Flask) -> tuple[int, list[int]]:
    """A poll closed a day ago; its first option has votes, the others none."""
    poll_id = make_poll(app, ["Да", "Нет", "Не знаю"], question="Закрыт?", **closed_poll_fields())
    ids = option_ids(app, poll_id)
    add_ballots(app, poll_id, [ids[0], ids[0]])
    return poll_id, ids


def rows_of(ids: list[int], texts=("Да", "Нет", "Не знаю")) -> tuple[tuple[str, str], ...]:
    return tuple((str(i), t) for i, t in zip(ids, texts, strict=True))


def edit_attempts(ids: list[int]) -> dict[str, dict]:
    """Every way the editor form could change a closed poll's outcome."""
    rows = rows_of(ids)
    return {
        "rename": poll_form(
            question="Закрыт?",
            rows=rows_of(ids, ("Конечно да", "Нет", "Не знаю")),
            confirm_text_change="1",
        ),
        "hide": poll_form(question="Закрыт?", rows=rows, **{f"hidden-{ids[2]}": "1"}),
        "add": poll_form(question="Закрыт?", rows=(*rows, ("new1", "Новый"))),
        "delete": poll_form(question="Закрыт?", rows=rows[:2]),
        "question": poll_form(question="Другой вопрос?", rows=rows),
        "visibility": poll_form(question="Закрыт?", rows=rows, results_visibility="never"),
        "op add": {**poll_form(question="Закрыт?", rows=rows), "op": "add"},
        "op remove": {**poll_form(question="Закрыт?", rows=rows), "op": f"remove:{ids[2]}"},
        "op move": {**poll_form(question="Закрыт?", rows=rows), "op": f"down:{ids[0]}"},
    }


@pytest.mark.parametrize("htmx", [False, True])
def test_an_editor_cannot_change_a_closed_poll_by_any_path(
    app: Flask, editor: StaffClient, htmx: bool
) -> None:
    poll_id, ids = closed_with_votes(app)
    before = stored(app, poll_id)
    for name, data in edit_attempts(ids).items():
        reply = editor.post(f"/staff/polls/{poll_id}", data, htmx=htmx)
        assert reply.status_code == 409, name
        html = reply.get_data(as_text=True)
        assert FROZEN in html, name
        assert 'value="Новый"' not in html  # the stored poll is shown, not the attempt
        assert stored(app, poll_id) == before, name
    with app.app_context():
        assert db.session.get(Poll, poll_id).revision == 0
    assert audit_actions(app) == []


def test_the_closed_editor_is_read_only(app: Flask, editor: StaffClient) -> None:
    poll_id, _ids = closed_with_votes(app)
    html = editor.get(f"/staff/polls/{poll_id}").get_data(as_text=True)
    assert '<fieldset class="editor-fields" disabled>' in html
    assert "Опрос закрыт: вопрос, варианты и настройки заморожены" in html
    assert "Отменить закрытие" not in html  # closed a day ago, by nobody's button


def test_the_store_refuses_a_frozen_poll_whoever_calls_it(app: Flask) -> None:
    poll_id, _ids = closed_with_votes(app)
    settings = PollSettings("Новый вопрос?", False, 1, "always", 0, None, None)
    with app.test_request_context():
        poll = db.session.get(Poll, poll_id)
        with pytest.raises(PollFrozen):
            save_poll(poll, settings, [], [])
        db.session.rollback()
        assert db.session.get(Poll, poll_id).question == "Закрыт?"


def test_an_admin_can_change_it_after_reopening(
    app: Flask, editor: StaffClient, admin: StaffClient
) -> None:
    poll_id, ids = closed_with_votes(app)
    rename = edit_attempts(ids)["rename"]
    assert admin.post(f"/staff/polls/{poll_id}", rename).status_code == 409  # closed: not even
    assert editor.post(f"/staff/polls/{poll_id}/status", {"action": "reopen"}).status_code == 403
    assert admin.post(f"/staff/polls/{poll_id}/status", {"action": "reopen"}).status_code == 303
    assert admin.post(f"/staff/polls/{poll_id}", rename).status_code == 303
    assert stored(app, poll_id)[2][0] == ("Конечно да", False)
    renamed = rows_of(ids, ("Конечно да", "Нет", "Не знаю"))
    hide = poll_form(question="Закрыт?", rows=renamed, revision="1", **{f"hidden-{ids[2]}": "1"})
    assert editor.post(f"/staff/polls/{poll_id}", hide).status_code == 303  # open again
    assert audit_actions(app) == ["poll.reopen", "option.text", "poll.update", "poll.update"]


def close_now(editor: StaffClient, poll_id: int):
    return editor.post(f"/staff/polls/{poll_id}/status", {"action": "close", "confirmed": "1"})


def test_close_asks_first_without_javascript_and_with_htmx(app: Flask, editor: StaffClient):
    poll_id = make_poll(app)
    url = f"/staff/polls/{poll_id}/status"
    page = editor.post(url, {"action": "close"})
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "<html" in html
    assert "Закрыть опрос сейчас?" in html and 'name="confirmed" value="1"' in html
    partial = editor.post(url, {"action": "close"}, htmx=True)
    html = partial.get_data(as_text=True)
    assert partial.status_code == 200 and "<html" not in html
    assert html.count('id="poll-status"') == 1 and "Да, закрыть сейчас" in html
    assert stored(app, poll_id)[1] == "open" and audit_actions(app) == []


def test_undo_within_60_seconds_reopens_and_is_audited(app: Flask, editor: StaffClient) -> None:
    planned = (utcnow() + timedelta(days=3)).replace(microsecond=0)
    poll_id = make_poll(app, closes_at=planned)
    assert close_now(editor, poll_id).status_code == 303
    page = editor.get(f"/staff/polls/{poll_id}").get_data(as_text=True)
    assert "Отменить закрытие" in page and "Это можно отменить в течение 60 с" in page
    undone = editor.post(f"/staff/polls/{poll_id}/status", {"action": "undo_close"})
    assert undone.status_code == 303
    with app.app_context():
        poll = db.session.get(Poll, poll_id)
        assert (poll.status, poll.closes_at) == (PollStatus.OPEN, planned)
    assert audit_actions(app) == ["poll.close", "poll.close_undo"]
    # Undone once: there is nothing left to undo.
    again = editor.post(f"/staff/polls/{poll_id}/status", {"action": "undo_close"})
    assert again.status_code == 409 and TOO_LATE in again.get_data(as_text=True)


def test_after_60_seconds_the_close_is_final(app, editor, monkeypatch) -> None:
    poll_id = make_poll(app)
    assert close_now(editor, poll_id).status_code == 303
    with app.app_context():
        closed_at = db.session.get(Poll, poll_id).closes_at
    # The injectable clock: the undo window is judged at "now", here 61 s later.
    monkeypatch.setattr(lifecycle, "utcnow", lambda: closed_at + timedelta(seconds=61))
    assert "Отменить закрытие" not in editor.get(f"/staff/polls/{poll_id}").get_data(True)
    late = editor.post(f"/staff/polls/{poll_id}/status", {"action": "undo_close"})
    assert late.status_code == 409 and TOO_LATE in late.get_data(as_text=True)
    assert stored(app, poll_id)[1] == "closed"
    assert audit_actions(app) == ["poll.close"]


def test_a_scheduled_close_cannot_be_undone_by_an_editor(app, editor) -> None:
    poll_id = make_poll(app, closes_at=utcnow() - timedelta(seconds=5))
    with app.app_context():
        assert apply_schedule() == [(poll_id, "closed")]
    reply = editor.post(f"/staff/polls/{poll_id}/status", {"action": "undo_close"})
    assert reply.status_code == 409 and stored(app, poll_id)[1] == "closed"


def test_the_rule_on_plain_polls() -> None:
    now = utcnow()
    closed = Poll(status=PollStatus.CLOSED, closes_at=now - timedelta(seconds=10))
    assert results_frozen(closed, now)
    assert can_undo_close(closed, closed.closes_at, now)
    assert not can_undo_close(closed, closed.closes_at, now + timedelta(seconds=50))
    assert not can_undo_close(closed, None, now)  # nobody pressed «close now»
    assert not can_undo_close(closed, now - timedelta(seconds=20), now)  # another close
    # Past its closing time but not yet marked closed by the scheduler: frozen all the same.
    overdue = Poll(status=PollStatus.OPEN, closes_at=now - timedelta(seconds=1))
    assert results_frozen(overdue, now) and not can_undo_close(overdue, overdue.closes_at, now)
    assert not results_frozen(Poll(status=PollStatus.OPEN, closes_at=None), now)
    # Drafts were never shown to a reader: their dates freeze nothing.
    draft = Poll(status=PollStatus.DRAFT, closes_at=now - timedelta(days=1))
    assert not results_frozen(draft, now)
