"""The audit log page (filters, counters per moderator and day) and the highlighter."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

from flask import Flask
from flask_babel import force_locale

import polls_site
from polls_site.core.db import db
from polls_site.models import AuditEntry, CommentStatus, utcnow
from polls_site.staff import audit
from polls_site.staff.moderation.decisions import ACTIONS
from polls_site.staff.moderation.highlight import highlight, merged_spans
from tests.support.factories import make_comment
from tests.support.staff import audit_rows


def test_record_outside_a_request_is_the_command_line(app: Flask) -> None:
    with app.app_context():
        audit.record("demo.thing", "poll", 7, before={"a": 1}, after={"a": 2}, reason="why")
        db.session.commit()
    [row] = audit_rows(app)
    assert (row.staff_id, row.staff_name, row.target_id) == (None, "(command line)", "7")
    assert (row.before, row.after, row.reason) == ({"a": 1}, {"a": 2}, "why")


def test_audit_page_filters_and_daily_counts(app: Flask, moderator, admin) -> None:
    first, second = (
        make_comment(app, status=CommentStatus.REVIEW),
        make_comment(app, "второй", status=CommentStatus.REVIEW),
    )
    for comment_id, who in ((first, moderator), (second, admin)):
        who.post(f"/staff/comments/{comment_id}/approve", {"revision": 1})
    with app.app_context():
        old = AuditEntry(
            at=utcnow() - timedelta(days=40),
            staff_name="mod",
            action="comment.reject",
            target_type="comment",
            target_id="1",
        )
        db.session.add(old)
        db.session.commit()
    page = moderator.get("/staff/audit").get_data(as_text=True)
    log = page.split('<table class="grid counts">')[0]
    approved = '<td title="comment.approve">одобрил комментарий</td>'
    rejected = '<td title="comment.reject">отклонил комментарий</td>'
    assert log.count(approved) == 2 and "вошёл" in log and "<td>комментарий " in log
    only_mod = moderator.get("/staff/audit?staff=mod&action=comment.").get_data(as_text=True)
    rows = only_mod.split('<table class="grid counts">')[0]
    assert rows.count(approved) == 1 and rows.count(rejected) == 1
    assert '<option value="comment.approve">одобрил комментарий</option>' in rows
    today = utcnow().date().isoformat()
    recent = moderator.get(f"/staff/audit?since={today}&until={today}").get_data(as_text=True)
    assert rejected not in recent.split('<table class="grid counts">')[0]
    counts = page.split('<table class="grid counts">')[1]
    assert f"<td>{today}</td><td>mod</td><td>одобрил комментарий</td><td>1</td>" in counts
    assert f"<td>{today}</td><td>boss</td><td>одобрил комментарий</td><td>1</td>" in counts
    assert "отклонил" not in counts  # 40 days ago is outside the window
    assert moderator.get("/staff/audit?since=junk").status_code == 200


def recorded_actions() -> set[str]:
    """Every action some ``audit.record(`` call in the package writes, f-strings expanded."""
    found: set[str] = set()
    for path in Path(polls_site.__file__).parent.rglob("*.py"):
        source = path.read_text(encoding="utf-8")
        for call in re.finditer(r"audit\.record\(\s*(f?)\"([a-z_]+)\.(\{?[a-z_]+\}?)\"", source):
            f, area, name = call.groups()
            if f and name == "{action}":
                found |= {f"{area}.{a}" for a in ACTIONS_BY_AREA[area]}
            else:
                found.add(f"{area}.{name}")
        for pair in re.findall(r'"([a-z_]+\.[a-z_]+)" if [\w.]+ else "([a-z_]+\.[a-z_]+)"', source):
            found |= set(pair)
    return found


ACTIONS_BY_AREA = {"comment": list(ACTIONS), "poll": ["open", "close", "reopen"]}


def test_every_recorded_action_has_a_russian_label(app: Flask) -> None:
    actions = recorded_actions()
    assert {"comment.approve", "comment.hide", "ban.create", "poll.close", "staff.enable"} <= (
        actions
    )
    assert actions <= set(audit.ACTION_LABELS), actions - set(audit.ACTION_LABELS)
    with app.test_request_context():
        assert audit.action_label("comment.approve") == "одобрил комментарий"
        assert audit.actor_label(audit.COMMAND_LINE) == "(командная строка)"
        assert audit.reason_label("command line") == "командная строка"
        assert audit.reason_label("мой довод") == "мой довод"
        for action in actions:
            assert re.search("[а-я]", audit.action_label(action)), action
        with force_locale("en"):
            assert audit.action_label("comment.approve") == "approved a comment"


def test_the_command_line_is_shown_in_russian(app: Flask, moderator) -> None:
    with app.app_context():
        audit.record("staff.password", "staff", 1, reason="command line")
        db.session.commit()
    page = moderator.get("/staff/audit").get_data(as_text=True)
    assert '<td>(командная строка)</td><td title="staff.password">сменил пароль</td>' in page
    assert "<td>командная строка</td>" in page and ">(command line)<" not in page


def test_no_route_changes_audit_rows(app: Flask) -> None:
    for rule in app.url_map.iter_rules():
        assert "audit" not in rule.rule or rule.methods <= {"GET", "HEAD", "OPTIONS"}, rule


def test_highlight_escapes_before_marking() -> None:
    text = '<script>alert("x")</script> плохо'
    marked = str(highlight(text, [{"spans": [[0, 8]]}, {"spans": [[28, 33]]}]))
    assert marked == (
        "<mark>&lt;script&gt;</mark>alert(&#34;x&#34;)&lt;/script&gt; <mark>плохо</mark>"
    )


def test_spans_are_clipped_merged_and_junk_is_ignored() -> None:
    reasons = [
        {"spans": [[5, 8], [2, 6], [-3, 1], [9, 99], [4, 4]]},
        {"spans": [["x", 1], [1], None]},
        {"rule": "no spans"},
    ]
    assert merged_spans(10, reasons) == [(0, 1), (2, 8), (9, 10)]
    assert str(highlight("", reasons)) == ""
