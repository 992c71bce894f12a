"""Word lists and thresholds edited by staff, and the "test this text" box."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask import Flask

from polls_site.comments.automod import rules as automod
from polls_site.comments.automod.store import load_rules
from polls_site.comments.automod.wordmatch import WordList
from polls_site.core.db import db
from polls_site.models import ModerationSetting, ModerationWord
from polls_site.staff.moderation.words import banned_entry_freed
from tests.support.staff import audit_rows


def verdict(app: Flask, text: str) -> automod.Verdict:
    with app.app_context():
        result = automod.evaluate(text, load_rules())
        db.session.remove()
        return result


def test_added_word_takes_effect_and_is_logged(app: Flask, moderator) -> None:
    assert verdict(app, "Это кромешный ужас").outcome == "approve"
    reply = moderator.post("/staff/words", {"kind": "banned", "pattern": "  Кромешн* "})
    assert reply.status_code == 303
    assert verdict(app, "Это кромешный ужас").outcome == "reject"
    with app.app_context():
        word = db.session.scalar(sa.select(ModerationWord))
        assert (word.kind, word.pattern) == ("banned", "кромешн*")
        word_id = word.id
    [row] = audit_rows(app, "word.add")
    assert row.after == {"kind": "banned", "pattern": "кромешн*", "by_admin": False}
    assert row.staff_name == "mod"
    moderator.post("/staff/words", {"kind": "banned", "pattern": "кромешн*"})  # twice: once
    assert len(audit_rows(app, "word.add")) == 1
    page = moderator.get("/staff/words").get_data(as_text=True)
    assert "<code>кромешн*</code>" in page
    assert moderator.post(f"/staff/words/{word_id}/delete").status_code == 303
    assert verdict(app, "Это кромешный ужас").outcome == "approve"
    assert len(audit_rows(app, "word.delete")) == 1


def allowed_entries(app: Flask) -> list[tuple[str, bool]]:
    with app.app_context():
        query = sa.select(ModerationWord.pattern, ModerationWord.by_admin).where(
            ModerationWord.kind == "allowed"
        )
        rows = [tuple(row) for row in db.session.execute(query.order_by(ModerationWord.id))]
        db.session.remove()
        return rows


def test_a_moderators_exception_is_an_exact_word_or_lemma(app: Flask, moderator, admin) -> None:
    moderator.post("/staff/words", {"kind": "suspect", "pattern": "кот*"})
    assert verdict(app, "котлеты по-киевски").reasons
    moderator.post("/staff/words", {"kind": "allowed", "pattern": "котлет*"})
    page = moderator.get("/staff/words").get_data(as_text=True)
    assert "может добавить только администратор" in page
    assert allowed_entries(app) == [] and verdict(app, "котлеты по-киевски").reasons
    # The lemma frees every form of it.
    moderator.post("/staff/words", {"kind": "allowed", "pattern": "котлета"})
    assert verdict(app, "котлеты по-киевски").reasons == []
    assert verdict(app, "кот и котлетой").outcome == "review"  # кот is still suspect
    admin.post("/staff/words", {"kind": "allowed", "pattern": "кот*"})
    assert allowed_entries(app) == [("котлета", False), ("кот*", True)]
    page = moderator.get("/staff/words").get_data(as_text=True)
    mine = page[page.index("<code>котлета</code>") :][:200]
    assert "(от модератора: снимает только подозрительные слова)" in mine
    admins = page[page.index("<code>кот*</code>") :][:100]
    assert "от модератора" not in admins
    assert verdict(app, "кот и котлетой").reasons == []
    [row] = [r for r in audit_rows(app, "word.add") if r.after["kind"] == "allowed"][-1:]
    assert row.after["by_admin"] is True and row.staff_name == "boss"


@pytest.mark.parametrize("pattern", ["хуй", "хуя", "Пиздец", "бляди", "пиздюк"])
def test_no_moderators_exception_frees_a_banned_word(
    app: Flask, moderator, admin, pattern: str
) -> None:
    moderator.post("/staff/words", {"kind": "allowed", "pattern": pattern})
    page = moderator.get("/staff/words").get_data(as_text=True)
    assert "исключение для запрещённого слова может добавить только администратор" in page
    assert allowed_entries(app) == []
    assert audit_rows(app, "word.add") == []
    admin.post("/staff/words", {"kind": "allowed", "pattern": pattern})
    assert allowed_entries(app) == [(pattern.lower(), True)]
    assert verdict(app, f"ну {pattern}").outcome == "approve"


def test_a_moderators_stored_pattern_never_frees_banned_words(app: Flask) -> None:
    # Rows from before the roles (or added behind the page's back) hold too.
    with app.app_context():
        db.session.add(ModerationWord(kind="allowed", pattern="ху*"))
        db.session.add(ModerationWord(kind="suspect", pattern="худой"))
        db.session.commit()
        db.session.remove()
    assert verdict(app, "хуй").outcome == "reject"
    assert verdict(app, "худой").reasons == []


def test_banned_entry_freed_names_the_entry() -> None:
    banned = WordList(["хуй", "*пизд*", "сука"])
    assert banned_entry_freed("хуя", banned) == "хуй"
    assert banned_entry_freed("пиздюк", banned) == "*пизд*"
    assert banned_entry_freed("суки", banned) == "сука"
    assert banned_entry_freed("команда", banned) is None
    assert banned_entry_freed("херсон", banned) is None


def test_bad_patterns_and_kinds_are_refused(app: Flask, moderator) -> None:
    for pattern in ("", "***", "<b>", "x" * 101):
        reply = moderator.post("/staff/words", {"kind": "banned", "pattern": pattern})
        assert reply.status_code == 303
    assert "не шаблон слова" in moderator.get("/staff/words").get_data(as_text=True)
    assert moderator.post("/staff/words", {"kind": "evil", "pattern": "x"}).status_code == 400
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(ModerationWord.id))) == 0


def test_admin_sets_and_resets_a_threshold(app: Flask, admin, moderator) -> None:
    text = "ты дурак"  # a suspect word: 40 points, review at 40
    assert verdict(app, text).outcome == "review"
    assert (
        moderator.post("/staff/settings", {"name": "review_at", "value": "50"}).status_code == 403
    )
    assert admin.post("/staff/settings", {"name": "review_at", "value": "50"}).status_code == 303
    assert verdict(app, text).outcome == "approve"
    admin.post("/staff/settings", {"name": "review_at", "value": "abc"})
    page = admin.get("/staff/words").get_data(as_text=True)
    assert "«abc» — недопустимое значение для Порог проверки." in page
    assert "Сумма баллов, с которой комментарий отправляется модератору." in page
    assert '<label class="visually-hidden" for="setting-review_at">Порог проверки</label>' in page
    assert admin.post("/staff/settings", {"name": "nope", "value": "1"}).status_code == 400
    admin.post("/staff/settings", {"name": "review_at", "value": ""})
    assert verdict(app, text).outcome == "review"
    with app.app_context():
        assert db.session.get(ModerationSetting, "review_at") is None
    rows = [(r.before, r.after) for r in audit_rows(app, "setting.set")]
    assert rows == [(None, {"value": "50"}), ({"value": "50"}, {"value": None})]


def test_the_test_box_shows_decision_reasons_and_marks(app: Flask, moderator) -> None:
    reply = moderator.post("/staff/words/test", {"text": "Ты <i>дурак</i>!"}, htmx=True)
    body = reply.get_data(as_text=True)
    assert reply.status_code == 200 and "<html" not in body
    assert "Решение: отправлен модератору" in body
    assert "&lt;i&gt;<mark>дурак</mark>&lt;/i&gt;" in body
    assert "Подозрительные слова: дурак" in body
    plain = moderator.post("/staff/words/test", {"text": "Добрый день"}).get_data(as_text=True)
    assert "Решение: опубликован сразу" in plain and "Ни одно правило не сработало." in plain
    assert "<html" in plain
