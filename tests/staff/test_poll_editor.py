"""The poll editor: who may use it, each rule that protects votes, the audit trail."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from flask import Flask

from polls_site.core.db import db
from polls_site.models import AuditEntry, Option, Poll, PollStatus, Role
from polls_site.staff.poll_editor import forms
from polls_site.staff.poll_editor.forms import site_zone_name
from tests.support.factories import add_ballots, make_poll, make_staff, option_ids
from tests.support.staff import StaffClient


@pytest.fixture(name="editor")
def editor_fixture(app: Flask, client) -> StaffClient:
    """A client logged in as the editor "ed"."""
    make_staff(app, "ed", Role.EDITOR)
    staff = StaffClient(client)
    assert staff.login("ed").status_code == 303
    return staff


def editor_routes(app: Flask, poll_id: int) -> list[tuple[str, str]]:
    """(method, url) of every poll-editor route, for ``poll_id``."""
    found = []
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/staff/polls"):
            url = rule.rule.replace("<int:poll_id>", str(poll_id))
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                found.append((method, url))
    return found


def test_moderators_get_403_on_every_editor_route(app, moderator) -> None:
    poll_id = make_poll(app)
    routes = editor_routes(app, poll_id)
    assert len(routes) >= 12
    for method, url in routes:
        if method == "GET":
            response = moderator.get(url)
        else:
            response = moderator.post(url, {"op": "save", "reason": "x", "action": "close"})
        assert response.status_code == 403, (method, url)
    with app.app_context():
        assert db.session.get(Poll, poll_id).status == PollStatus.OPEN


def test_nobody_is_sent_to_login(app, client) -> None:
    response = client.get("/staff/polls/")
    assert response.status_code == 303 and "/staff/login" in response.headers["Location"]


def poll_form(question="Ваш любимый цвет?", rows=(("new1", "Красный"), ("new2", "Синий")), **extra):
    data = {
        "question": question,
        "max_choices": "1",
        "min_sample": "0",
        "results_visibility": "always",
        "op": "save",
        "row": [k for k, _t in rows],
        "revision": "0",  # what the editor shows for a poll nobody has saved yet
    }
    for key, text in rows:
        data[f"text-{key}"] = text
    data.update(extra)
    return data


def stored(app, poll_id):
    with app.app_context():
        poll = db.session.get(Poll, poll_id)
        result = (poll.question, poll.status, [(o.text, o.hidden) for o in poll.options])
        db.session.remove()
        return result


def audit_actions(app) -> list[str]:
    with app.app_context():
        query = sa.select(AuditEntry.action).where(AuditEntry.action != "staff.login")
        return list(db.session.scalars(query.order_by(AuditEntry.id)))


def test_create_a_draft_and_see_it_listed(app, editor) -> None:
    page = editor.get("/staff/polls/new")
    assert page.status_code == 200 and 'id="preview"' in page.get_data(as_text=True)
    created = editor.post("/staff/polls/new", poll_form(closes_at="2030-01-01T12:00"))
    assert created.status_code == 303
    poll_id = int(created.headers["Location"].rstrip("/").split("/")[-1])
    assert stored(app, poll_id) == (
        "Ваш любимый цвет?",
        "draft",
        [("Красный", False), ("Синий", False)],
    )
    with app.app_context():
        closes = db.session.get(Poll, poll_id).closes_at
    assert (closes.hour, closes.minute) == (7, 0)  # 12:00 in Almaty is 07:00 UTC
    assert "Ваш любимый цвет?" in editor.get("/staff/polls/").get_data(as_text=True)
    assert audit_actions(app) == ["poll.create"]


def test_bad_input_keeps_what_was_typed(app, editor) -> None:
    reply = editor.post("/staff/polls/new", poll_form(question="", rows=(("new1", "Один"),)))
    assert reply.status_code == 422
    html = reply.get_data(as_text=True)
    assert 'value="Один"' in html
    assert "Введите вопрос." in html and "Нужно хотя бы два видимых варианта ответа." in html
    late = editor.post(
        "/staff/polls/new", poll_form(opens_at="2030-01-02T10:00", closes_at="2030-01-01T10:00")
    )
    assert late.status_code == 422
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Poll)) == 0


def test_options_are_added_moved_and_removed_without_saving(app, editor) -> None:
    rows = (("new1", "А"), ("new2", "Б"), ("new3", "В"))
    moved = editor.post("/staff/polls/new", poll_form(rows=rows, op="up:new3"), htmx=True)
    html = moved.get_data(as_text=True)
    assert html.index('value="В"') < html.index('value="Б"')
    assert "<html" not in html  # a partial for htmx
    added = editor.post("/staff/polls/new", poll_form(rows=rows, op="add")).get_data(as_text=True)
    assert 'name="text-new4"' in added
    removed = editor.post("/staff/polls/new", poll_form(rows=rows, op="remove:new2"))
    assert 'value="Б"' not in removed.get_data(as_text=True)
    full = [(f"new{i}", f"Вариант {i}") for i in range(1, 21)]
    refused = editor.post("/staff/polls/new", poll_form(rows=full, op="add"))
    assert "не больше 20 вариантов" in refused.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Poll)) == 0


def vote_in(app, poll_id, option_id, n=1):
    add_ballots(app, poll_id, [option_id] * n, voters=[f"c:{option_id}-{i}" for i in range(n)])


def rows_of(app, poll_id):
    ids = option_ids(app, poll_id)
    with app.app_context():
        texts = [db.session.get(Option, i).text for i in ids]
    return list(zip([str(i) for i in ids], texts, strict=True))


def test_an_option_with_votes_cannot_be_deleted_only_hidden(app, editor) -> None:
    poll_id = make_poll(app)
    a, b, c = option_ids(app, poll_id)
    vote_in(app, poll_id, a)
    rows = rows_of(app, poll_id)
    refused = editor.post(f"/staff/polls/{poll_id}", poll_form(rows=rows, op=f"remove:{a}"))
    html = refused.get_data(as_text=True)
    assert "уже есть голоса: его нельзя удалить, только скрыть" in html
    assert f'name="text-{a}"' in html
    # Leaving it out of a save is refused the same way.
    saved = editor.post(
        f"/staff/polls/{poll_id}", poll_form(question="Как вы относитесь к вопросу?", rows=rows[1:])
    )
    assert saved.status_code == 422
    assert len(stored(app, poll_id)[2]) == 3
    # An option without votes can go; the one with votes can be hidden.
    ok = editor.post(
        f"/staff/polls/{poll_id}",
        poll_form(
            question="Как вы относитесь к вопросу?",
            rows=[*rows[:2], ("new1", "Затрудняюсь")],
            **{f"hidden-{a}": "1"},
        ),
    )
    assert ok.status_code == 303
    assert stored(app, poll_id)[2] == [("Да", True), ("Нет", False), ("Затрудняюсь", False)]


def test_changing_the_text_of_an_option_with_votes_needs_confirmation(app, editor) -> None:
    poll_id = make_poll(app)
    a = option_ids(app, poll_id)[0]
    vote_in(app, poll_id, a)
    rows = rows_of(app, poll_id)
    rows[0] = (rows[0][0], "Да, конечно")
    form = poll_form(question="Как вы относитесь к вопросу?", rows=rows)
    asked = editor.post(f"/staff/polls/{poll_id}", form)
    assert asked.status_code == 409
    assert "«Да» → «Да, конечно»" in asked.get_data(as_text=True)
    assert stored(app, poll_id)[2][0] == ("Да", False)
    done = editor.post(f"/staff/polls/{poll_id}", {**form, "confirm_text_change": "1"})
    assert done.status_code == 303
    assert stored(app, poll_id)[2][0] == ("Да, конечно", False)
    with app.app_context():
        entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "option.text"))
        assert (entry.before, entry.after, entry.staff_name) == (
            {"text": "Да"},
            {"text": "Да, конечно"},
            "ed",
        )


def test_a_save_over_another_editors_newer_save_is_caught_not_lost(app, editor) -> None:
    poll_id = make_poll(app)
    rows = rows_of(app, poll_id)
    make_staff(app, "ed2", Role.EDITOR)
    other = StaffClient(app.test_client())
    assert other.login("ed2").status_code == 303
    # Both open the poll; the form carries the revision it was opened with.
    for staff in (editor, other):
        assert 'name="revision" value="0"' in staff.get(f"/staff/polls/{poll_id}").get_data(True)
    first = other.post(f"/staff/polls/{poll_id}", poll_form(question="Версия коллеги", rows=rows))
    assert first.status_code == 303
    late = editor.post(f"/staff/polls/{poll_id}", poll_form(question="Моя версия", rows=rows))
    assert late.status_code == 409
    html = late.get_data(as_text=True)
    assert "Другой редактор сохранил этот опрос, пока вы его правили" in html
    assert "Моя версия" in html  # still in the form, nothing typed is lost
    assert 'name="revision" value="1"' in html
    assert stored(app, poll_id)[0] == "Версия коллеги"
    # Saving again from that form is a deliberate choice and replaces the other version.
    again = editor.post(
        f"/staff/polls/{poll_id}", poll_form(question="Моя версия", rows=rows, revision="1")
    )
    assert again.status_code == 303
    assert stored(app, poll_id)[0] == "Моя версия"
    assert audit_actions(app).count("poll.update") == 2
    # A form without a usable revision is treated as out of date, never saved blindly.
    forged = editor.post(
        f"/staff/polls/{poll_id}", poll_form(question="Без ревизии", rows=rows, revision="x")
    )
    assert forged.status_code == 409 and stored(app, poll_id)[0] == "Моя версия"


def test_open_close_and_only_an_admin_reopens(app, editor, admin) -> None:
    poll_id = make_poll(app, status=PollStatus.DRAFT)
    assert editor.post(f"/staff/polls/{poll_id}/status", {"action": "open"}).status_code == 303
    assert stored(app, poll_id)[1] == "open"
    asked = editor.post(f"/staff/polls/{poll_id}/status", {"action": "close"})
    assert asked.status_code == 200 and "Закрыть опрос сейчас?" in asked.get_data(as_text=True)
    assert stored(app, poll_id)[1] == "open"  # only asked, nothing changed
    closing = {"action": "close", "confirmed": "1"}
    assert editor.post(f"/staff/polls/{poll_id}/status", closing).status_code == 303
    assert stored(app, poll_id)[1] == "closed"
    with app.app_context():
        assert db.session.get(Poll, poll_id).closes_at is not None
    assert editor.post(f"/staff/polls/{poll_id}/status", {"action": "reopen"}).status_code == 403
    assert stored(app, poll_id)[1] == "closed"
    assert admin.post(f"/staff/polls/{poll_id}/status", {"action": "reopen"}).status_code == 303
    assert stored(app, poll_id)[1] == "open"
    assert audit_actions(app) == ["poll.open", "poll.close", "poll.reopen"]


def test_mark_as_current_and_clone(app, editor, client) -> None:
    first, second = make_poll(app), make_poll(app, question="Второй")
    editor.post(f"/staff/polls/{first}/current", {"section": "main"})
    editor.post(f"/staff/polls/{second}/current", {"section": "main"})
    assert client.get("/api/polls/current?section=main").get_json()["id"] == second
    bad = editor.post(f"/staff/polls/{first}/current", {"section": "Главная!"})
    assert bad.status_code == 303
    cloned = editor.post(f"/staff/polls/{second}/clone")
    clone_id = int(cloned.headers["Location"].rstrip("/").split("/")[-1])
    assert stored(app, clone_id) == (
        "Второй",
        "draft",
        [("Да", False), ("Нет", False), ("Не знаю", False)],
    )
    assert audit_actions(app) == ["poll.current", "poll.current", "poll.clone"]


def test_live_preview_renders_the_widget(app, editor) -> None:
    reply = editor.post("/staff/polls/preview", poll_form(question="Превью?"), htmx=True)
    html = reply.get_data(as_text=True)
    assert reply.status_code == 200 and "inert" in html
    assert "Превью?" in html and "Красный" in html and 'type="radio"' in html


def test_the_time_fields_name_their_zone(app: Flask, editor: StaffClient, monkeypatch) -> None:
    html = editor.get("/staff/polls/new").get_data(as_text=True)
    for field in ("opens_at", "closes_at"):
        label = re.search(
            rf'<label>[^<]*<input[^>]*name="{field}"[^>]*>\s*<span class="zone">'
            r"([^<]*)</span></label>",
            html,
        )
        assert label and label.group(1) == "Asia/Almaty (UTC+5)", field
    assert "Asia/Almaty (UTC+5)" in html.split('id="times-zone"')[1].split("</span>")[0]
    with app.test_request_context():
        winter = datetime(2026, 1, 15, tzinfo=UTC)
        assert site_zone_name(winter) == "Asia/Almaty (UTC+5)"
    monkeypatch.setattr(forms, "site_zone", lambda: ZoneInfo("Asia/Kolkata"))
    assert forms.site_zone_name(winter) == "Asia/Kolkata (UTC+5:30)"
