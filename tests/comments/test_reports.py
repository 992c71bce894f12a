"""Reader reports: the pure rules (independence, weights), the widget's form with and without
htmx, one report per reader, the limit, hiding at the threshold, and the «Жалобы» tab."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from polls_site.comments.reports import OpenReport, reaches_threshold, reporter_weight
from polls_site.core.db import db
from polls_site.models import CommentReport, CommentStatus, Role
from polls_site.widget.voters import NEW_VOTER, VOTER_HEADER
from tests.support.comments import Commenting, comment_state, thread_count
from tests.support.factories import KEY, make_comment, make_thread
from tests.support.staff import audit_rows, logged_in

HX = {"HX-Request": "true", VOTER_HEADER: NEW_VOTER}


def test_a_newcomer_weighs_one_and_upheld_reports_weigh_more() -> None:
    assert reporter_weight(0, 0) == 1
    assert reporter_weight(0, 10) == 1
    assert reporter_weight(2, 0) == 1.5
    assert 1.9 < reporter_weight(100, 0) < 2
    assert reporter_weight(2, 2) < reporter_weight(2, 0)


def test_independence_needs_two_networks_and_the_weight() -> None:
    one_net = [OpenReport(f"c:{i}", "net-a", 1) for i in range(5)]
    assert not reaches_threshold(one_net, 3)
    two_nets = [OpenReport("c:1", "net-a", 1), OpenReport("c:2", "net-a", 1)]
    assert not reaches_threshold(two_nets, 3)
    assert reaches_threshold([*two_nets, OpenReport("c:3", "net-b", 1)], 3)
    # One reader counts once, however their reports arrive.
    assert not reaches_threshold([*two_nets, OpenReport("c:1", "net-b", 1)], 3)
    trusted = [OpenReport("c:1", "net-a", 1.5), OpenReport("c:2", "net-b", 1.5)]
    assert reaches_threshold(trusted, 3)


def reader_on(app: Flask, address: str) -> Commenting:
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return Commenting(client)


def report(reader: Commenting, comment_id: int, reason: str = "abuse", htmx: bool = True, **data):
    page = reader.client.get(f"/w/comments/{KEY}/-/{comment_id}/report")
    assert page.status_code == 200
    token = page.get_data(as_text=True).split('name="token" value="')[1].split('"')[0]
    body = {"token": token, "reason": reason, **data}
    return reader.client.post(
        f"/w/comments/{KEY}/-/{comment_id}/report", data=body, headers=HX if htmx else {}
    )


def report_rows(app: Flask) -> list[tuple[str, str]]:
    with app.app_context():
        rows = db.session.execute(sa.select(CommentReport.reason, CommentReport.text)).all()
        db.session.remove()
        return [tuple(r) for r in rows]


def test_every_comment_has_a_report_link_and_a_page_without_javascript(app: Flask) -> None:
    make_thread(app)
    comment_id = make_comment(app, thread=KEY)
    reader = reader_on(app, "203.0.113.5")
    page = reader.open().get_data(as_text=True)
    assert f"/w/comments/{KEY}/-/{comment_id}/report" in page
    form = reader.client.get(f"/w/comments/{KEY}/-/{comment_id}/report")
    assert "<html" in form.get_data(as_text=True)
    assert 'name="reason" value="hate"' in form.get_data(as_text=True)
    done = report(reader, comment_id, htmx=False, text="Оскорбляет соседа")
    assert done.status_code == 303
    assert done.headers["Location"].endswith(f"#comment-{comment_id}")
    assert report_rows(app) == [("abuse", "Оскорбляет соседа")]


def test_one_report_per_reader_and_bad_input_is_refused(app: Flask) -> None:
    make_thread(app)
    comment_id = make_comment(app, thread=KEY)
    reader = reader_on(app, "203.0.113.5")
    assert report(reader, comment_id, reason="nonsense").status_code == 422
    assert report(reader, comment_id, text="я" * 501).status_code == 422
    assert report_rows(app) == []
    first = report(reader, comment_id)
    assert first.status_code == 200
    assert "модераторы" in first.get_data(as_text=True)
    again = report(reader, comment_id, reason="spam")
    assert again.status_code == 409
    assert "уже пожаловались" in again.get_data(as_text=True)
    assert report_rows(app) == [("abuse", "")]


def test_a_hidden_or_unknown_comment_cannot_be_reported(app: Flask) -> None:
    make_thread(app)
    pending = make_comment(app, thread=KEY, status=CommentStatus.REVIEW)
    reader = reader_on(app, "203.0.113.5")
    assert reader.client.get(f"/w/comments/{KEY}/-/{pending}/report").status_code == 404
    assert reader.client.get(f"/w/comments/{KEY}/-/99999/report").status_code == 404


def test_a_forged_report_is_refused(app: Flask) -> None:
    make_thread(app)
    comment_id = make_comment(app, thread=KEY)
    reader = reader_on(app, "203.0.113.5")
    forged = reader.client.post(
        f"/w/comments/{KEY}/-/{comment_id}/report",
        data={"token": "forged", "reason": "spam"},
        headers=HX,
    )
    assert forged.status_code == 403
    assert report_rows(app) == []


def test_reports_are_rate_limited(app: Flask) -> None:
    app.config["REPORT_LIMIT_VOTER"] = "2/600"
    make_thread(app)
    ids = [make_comment(app, f"Текст {i}", thread=KEY) for i in range(3)]
    reader = reader_on(app, "203.0.113.5")
    assert report(reader, ids[0]).status_code == 200
    assert report(reader, ids[1]).status_code == 200
    limited = report(reader, ids[2])
    assert limited.status_code == 429
    assert int(limited.headers["Retry-After"]) > 0
    assert len(report_rows(app)) == 2


def test_three_readers_on_two_networks_hide_the_comment(app: Flask) -> None:
    make_thread(app)
    comment_id = make_comment(app, thread=KEY)
    before = thread_count(app, KEY)
    same_net = [reader_on(app, f"203.0.113.{i}") for i in (5, 6, 7)]
    for reader in same_net:
        assert report(reader, comment_id).status_code == 200
    # Three readers of one network are not independent.
    assert comment_state(app, comment_id)[0] == CommentStatus.APPROVED
    assert report(reader_on(app, "198.51.100.9"), comment_id, reason="hate").status_code == 200
    assert comment_state(app, comment_id)[0] == CommentStatus.REVIEW
    assert thread_count(app, KEY) == before - 1
    assert f"comment-{comment_id}" not in reader_on(app, "192.0.2.1").open().get_data(as_text=True)


def test_the_queue_says_a_comment_is_back_because_readers_reported_it(
    app: Flask, client: FlaskClient
) -> None:
    make_thread(app)
    comment_id = make_comment(app, "Спорное мнение", thread=KEY)
    for address, reason in (
        ("203.0.113.5", "spam"),
        ("203.0.113.6", "spam"),
        ("198.51.100.9", "hate"),
    ):
        assert report(reader_on(app, address), comment_id, reason=reason).status_code == 200
    assert comment_state(app, comment_id)[0] == CommentStatus.REVIEW
    moderator = logged_in(app, client, "moder", Role.MODERATOR)
    queue = moderator.get("/staff/queue").get_data(as_text=True)
    row = queue.split(f'id="comment-{comment_id}"')[1].split("</article>")[0]
    assert "Жалобы читателей:" in row
    assert "Спам (2)" in row and "Разжигание вражды (1)" in row
    # Once decided, the reports are settled and the reason leaves the row.
    revision = comment_state(app, comment_id)[1]
    moderator.post(f"/staff/comments/{comment_id}/approve", {"revision": revision}, htmx=True)
    published = moderator.get("/staff/comments").get_data(as_text=True)
    row = published.split(f'id="comment-{comment_id}"')[1].split("</article>")[0]
    assert "Жалобы читателей:" not in row


def test_the_reports_tab_and_a_decision_settle_the_reports(app: Flask, client: FlaskClient) -> None:
    make_thread(app)
    kept = make_comment(app, "Спорное мнение", thread=KEY)
    removed = make_comment(app, "Грубость", thread=KEY)
    readers = [reader_on(app, a) for a in ("203.0.113.5", "198.51.100.9")]
    for reader in readers:
        report(reader, kept, reason="offtopic", text="не о том")
        report(reader, removed, reason="abuse")
    moderator = logged_in(app, client, "moder", Role.MODERATOR)
    tab = moderator.get("/staff/reports").get_data(as_text=True)
    assert "Жалобы" in tab
    assert "Спорное мнение" in tab and "Грубость" in tab
    assert "Не по теме (2)" in tab and "не о том" in tab
    assert "Оскорбление (2)" in tab
    revision = comment_state(app, removed)[1]
    hide = moderator.post(f"/staff/comments/{removed}/hide", {"revision": revision}, htmx=True)
    assert hide.status_code == 200
    entry = audit_rows(app, "comment.hide")[-1]
    assert entry.after["reports"] == {"count": 2, "outcome": "upheld"}
    tab = moderator.get("/staff/reports").get_data(as_text=True)
    assert "Грубость" not in tab and "Спорное мнение" in tab
    with app.app_context():
        outcomes = db.session.scalars(
            sa.select(CommentReport.outcome).where(CommentReport.comment_id == removed)
        ).all()
        db.session.remove()
    assert outcomes == ["upheld", "upheld"]
