"""The moderation queue through the test client: list, approve, reject, spam, ban, bulk,
hide/restore, with thread counts and audit rows checked; htmx and plain posts."""

from __future__ import annotations

import re

import sqlalchemy as sa
from flask import Flask

from polls_site.core.db import db
from polls_site.models import Ban, CommentStatus
from tests.support.comments import approved_count, comment_state, thread_count
from tests.support.factories import make_comment
from tests.support.staff import StaffClient, audit_rows

S = CommentStatus


def revision(app: Flask, comment_id: int) -> int:
    return comment_state(app, comment_id)[1]


def act(staff: StaffClient, app: Flask, comment_id: int, action: str, htmx=True, **data):
    body = {"revision": revision(app, comment_id), "next": "/staff/queue", **data}
    return staff.post(f"/staff/comments/{comment_id}/{action}", body, htmx=htmx)


def test_queue_lists_review_and_pending_oldest_first_with_details(app, moderator) -> None:
    reasons = [{"rule": "suspect_word", "score": 30, "detail": "дурак", "spans": [[4, 9]]}]
    first = make_comment(
        app, "Ты <b>дурак</b>", reasons=reasons, score=30, status=CommentStatus.REVIEW
    )
    second = make_comment(app, "ещё не проверен", status=S.PENDING)
    make_comment(app, "уже одобрен", status=S.APPROVED)
    make_comment(app, "отклонён", status=S.REJECTED)
    page = moderator.get("/staff/queue").get_data(as_text=True)
    assert page.index(f'id="comment-{first}"') < page.index(f'id="comment-{second}"')
    assert "уже одобрен" not in page and "отклонён<" not in page
    # Escaped first, then marked: the reader's tags never become markup.
    assert "Ты &lt;<mark>b&gt;дур</mark>ак&lt;/b&gt;" in page
    assert "Подозрительные слова: дурак" in page
    assert "автомодератор ещё не проверил" in page
    assert "история: одобрено 1, отклонено 1" in page
    assert "c:reader-1" in page and "iphash-1" in page
    assert 'href="https://portal.example/article-1"' in page


def test_filters_and_search(app, moderator) -> None:
    make_comment(
        app,
        "про погоду",
        reasons=[{"rule": "link", "score": 10, "spans": []}],
        status=CommentStatus.REVIEW,
    )
    make_comment(app, "про футбол", thread="sport", status=S.PENDING)
    assert "про футбол" not in moderator.get("/staff/queue?thread=article-1").get_data(True)
    assert "про погоду" not in moderator.get("/staff/queue?status=pending").get_data(True)
    by_rule = moderator.get("/staff/queue?rule=link").get_data(True)
    assert "про погоду" in by_rule and "про футбол" not in by_rule
    found = moderator.get("/staff/queue?q=футбол", htmx=True)
    body = found.get_data(as_text=True)
    assert "про футбол" in body and "про погоду" not in body
    assert "<html" not in body  # htmx gets the list partial
    assert "HX-Request" in found.headers["Vary"]


def test_search_ignores_the_case_of_cyrillic_letters(app, moderator) -> None:
    make_comment(app, "ПРО ВЫБОРЫ В Бишкеке", author_name="Айбек", status=CommentStatus.REVIEW)
    make_comment(app, "про погоду", author_name="Нурлан", status=CommentStatus.REVIEW)
    for query in ("про выборы", "бишкеке", "АЙБЕК"):
        body = moderator.get(f"/staff/queue?q={query}").get_data(as_text=True)
        assert "ПРО ВЫБОРЫ" in body and "про погоду" not in body, query


def test_approve_by_htmx_removes_the_row_and_counts(app, moderator) -> None:
    comment_id = make_comment(app, status=CommentStatus.REVIEW)
    other = make_comment(app, "второй", status=CommentStatus.REVIEW)
    assert thread_count(app) == 0
    reply = act(moderator, app, comment_id, "approve")
    assert reply.status_code == 200
    body = reply.get_data(as_text=True)
    assert f"comment-{comment_id}" not in body
    assert 'id="pending-count"' in body and 'hx-swap-oob="true"' in body and ">1<" in body
    assert comment_state(app, comment_id)[0] == S.APPROVED
    assert thread_count(app) == approved_count(app) == 1
    [row] = audit_rows(app, "comment.approve")
    assert (row.staff_name, row.target_id) == ("mod", str(comment_id))
    assert row.before == {"status": "review"} and row.after == {"status": "approved"}
    assert comment_state(app, other)[0] == S.REVIEW


def test_reject_with_reason_without_javascript(app, moderator) -> None:
    comment_id = make_comment(app, status=CommentStatus.REVIEW)
    reply = act(moderator, app, comment_id, "reject", htmx=False, reason="оскорбление")
    assert reply.status_code == 303 and reply.headers["Location"] == "/staff/queue"
    assert comment_state(app, comment_id)[0] == S.REJECTED
    [row] = audit_rows(app, "comment.reject")
    assert row.reason == "оскорбление"
    page = moderator.get("/staff/queue").get_data(as_text=True)
    assert "Комментарий" in page and "отклонён" in page  # the flashed message


def test_spam_and_published_hide_restore(app, moderator) -> None:
    spam = make_comment(app, "купи дёшево", status=CommentStatus.REVIEW)
    published = make_comment(app, "хороший", status=S.APPROVED)
    assert thread_count(app) == 1
    act(moderator, app, spam, "spam")
    assert comment_state(app, spam)[0] == S.SPAM
    page = moderator.get("/staff/comments?q=хорош").get_data(as_text=True)
    assert "хороший" in page and "купи" not in page
    act(moderator, app, published, "hide", reason="не по теме")
    assert comment_state(app, published)[0] == S.HIDDEN
    assert thread_count(app) == approved_count(app) == 0
    act(moderator, app, published, "restore")
    assert comment_state(app, published)[0] == S.APPROVED
    assert thread_count(app) == approved_count(app) == 1
    actions = [row.action for row in audit_rows(app) if row.action.startswith("comment.")]
    assert actions == ["comment.spam", "comment.hide", "comment.restore"]


def test_an_action_that_does_not_fit_the_state_is_refused(app, moderator) -> None:
    comment_id = make_comment(app, status=S.APPROVED)
    reply = act(moderator, app, comment_id, "reject")
    assert reply.status_code == 409
    assert "Уже обработан: одобрен" in reply.get_data(as_text=True)
    assert comment_state(app, comment_id)[0] == S.APPROVED
    assert audit_rows(app, "comment.reject") == []


def test_bad_form_values_are_400_not_500(app, moderator) -> None:
    comment_id = make_comment(app, status=CommentStatus.REVIEW)
    assert moderator.post(f"/staff/comments/{comment_id}/approve", {}).status_code == 400
    url = f"/staff/comments/{comment_id}/approve"
    assert moderator.post(url, {"revision": "abc"}).status_code == 400
    assert moderator.post("/staff/queue/bulk", {"action": "nuke"}).status_code == 400
    assert moderator.post("/staff/queue/bulk", {"action": "approve", "ids": "x"}).status_code == 400
    ban = f"/staff/comments/{comment_id}/ban"
    assert moderator.post(ban, {"revision": "1", "days": "3"}).status_code == 400
    reply = moderator.post("/staff/comments/999999/approve", {"revision": "1"}, htmx=False)
    assert reply.status_code == 303


def test_ban_author_for_a_week_and_remove_their_comments(app, moderator) -> None:
    target = make_comment(
        app, "первый", voter_key="c:troll", ip_hash="ip-troll", status=CommentStatus.REVIEW
    )
    older = make_comment(app, "старый", voter_key="c:troll", status=S.APPROVED)
    same_ip = make_comment(
        app, "с того же IP", voter_key="c:other", ip_hash="ip-troll", status=CommentStatus.REVIEW
    )
    bystander = make_comment(
        app, "чужой", voter_key="c:good", ip_hash="ip-good", status=CommentStatus.REVIEW
    )
    assert thread_count(app) == 1
    reply = act(
        moderator,
        app,
        target,
        "ban",
        by_voter="1",
        by_ip="1",
        days="7",
        remove_all="1",
        reason="тролль",
    )
    assert reply.status_code == 200
    assert comment_state(app, target)[0] == S.REJECTED
    assert comment_state(app, older)[0] == S.HIDDEN
    assert comment_state(app, same_ip)[0] == S.REJECTED
    assert comment_state(app, bystander)[0] == S.REVIEW
    assert thread_count(app) == approved_count(app) == 0
    with app.app_context():
        [ban] = db.session.scalars(sa.select(Ban)).all()
        assert (ban.voter_key, ban.ip_hash, ban.reason) == ("c:troll", "ip-troll", "тролль")
        days = (ban.expires_at - ban.created_at).total_seconds() / 86400
        assert round(days) == 7
    assert len(audit_rows(app, "ban.create")) == 1
    assert len(audit_rows(app, "comment.reject")) == 2
    assert len(audit_rows(app, "comment.hide")) == 1


def test_ban_for_good_by_reader_id_only_takes_down_just_that_comment(app, moderator) -> None:
    target = make_comment(app, voter_key="c:troll", status=CommentStatus.REVIEW)
    other = make_comment(app, "второй", voter_key="c:troll", status=CommentStatus.REVIEW)
    reply = act(moderator, app, target, "ban", htmx=False, by_voter="1", days="0")
    assert reply.status_code == 303
    assert comment_state(app, target)[0] == S.REJECTED
    assert comment_state(app, other)[0] == S.REVIEW
    with app.app_context():
        [ban] = db.session.scalars(sa.select(Ban)).all()
        assert ban.expires_at is None and ban.ip_hash is None


def test_ban_needs_something_to_ban(app, moderator) -> None:
    target = make_comment(app, status=CommentStatus.REVIEW)
    reply = act(moderator, app, target, "ban", days="1")
    assert reply.status_code == 409
    assert "Выберите, что блокировать" in reply.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Ban.id))) == 0


def test_bulk_approve_and_reject(app, moderator) -> None:
    ids = [make_comment(app, f"комментарий {i}", status=CommentStatus.REVIEW) for i in range(4)]
    data = {"action": "approve", "ids": [str(i) for i in ids[:3]], "next": "/staff/queue"}
    data.update({f"rev-{i}": str(revision(app, i)) for i in ids[:3]})
    reply = moderator.post("/staff/queue/bulk", data)
    assert reply.status_code == 303
    assert [comment_state(app, i)[0] for i in ids] == [S.APPROVED] * 3 + [S.REVIEW]
    assert thread_count(app) == approved_count(app) == 3
    assert len(audit_rows(app, "comment.approve")) == 3
    assert "Обработано 3 комментария." in moderator.get("/staff/queue").get_data(True)
    # A stale item in a bulk is skipped and reported; the others go through.
    data = {"action": "reject", "ids": [str(ids[2]), str(ids[3])], "reason": "флуд"}
    data.update({f"rev-{ids[2]}": "1", f"rev-{ids[3]}": str(revision(app, ids[3]))})
    moderator.post("/staff/queue/bulk", data)
    assert comment_state(app, ids[2])[0] == S.APPROVED
    assert comment_state(app, ids[3])[0] == S.REJECTED
    assert "Уже обработан" in moderator.get("/staff/queue").get_data(True)


def test_bulk_by_htmx_removes_done_rows_and_returns_refused_ones(app, moderator) -> None:
    ids = [make_comment(app, f"комментарий {i}", status=CommentStatus.REVIEW) for i in range(3)]
    data = {"action": "spam", "ids": [str(i) for i in ids], "next": "/staff/queue"}
    data.update({f"rev-{i}": str(revision(app, i)) for i in ids})
    data[f"rev-{ids[2]}"] = "99"  # another moderator changed it meanwhile
    reply = moderator.post("/staff/queue/bulk", data, htmx=True)
    assert reply.status_code == 200
    body = reply.get_data(as_text=True)
    assert "Обработано 2 комментария." in body
    for done in ids[:2]:
        assert f'<div id="comment-{done}" hx-swap-oob="delete"></div>' in body
    # The refused row comes back as it is now, with why, replacing the one on the page.
    assert f'id="comment-{ids[2]}"' in body and 'hx-swap-oob="true"' in body
    assert f"#{ids[2]}: Уже обработан" in body
    assert 'id="pending-count"' in body and ">1</span>" in body
    assert [comment_state(app, i)[0] for i in ids] == [S.SPAM, S.SPAM, S.REVIEW]


def test_pending_count_fragment(app, moderator) -> None:
    make_comment(app, status=CommentStatus.REVIEW)
    make_comment(app, status=S.PENDING)
    make_comment(app, status=S.APPROVED)
    body = moderator.get("/staff/queue/count", htmx=True).get_data(as_text=True)
    assert 'id="pending-count"' in body and ">2</span>" in body
    assert 'hx-trigger="every 15s"' in body


def test_thread_link_is_only_a_web_link(app, moderator) -> None:
    from polls_site.models import Thread

    make_comment(app, thread="evil", status=CommentStatus.REVIEW)
    with app.app_context():
        thread = db.session.scalar(sa.select(Thread).where(Thread.key == "evil"))
        thread.url, thread.title = "javascript:alert(1)", "<b>Статья</b>"
        db.session.commit()
    page = moderator.get("/staff/queue").get_data(as_text=True)
    assert "javascript:" not in page
    assert "&lt;b&gt;Статья&lt;/b&gt;" in page


def test_the_rule_filter_names_rules_in_russian(app, moderator) -> None:
    reasons = [{"rule": "masked_word", "score": 40, "detail": "х*й", "spans": []}]
    make_comment(app, "замаскировано", reasons=reasons, status=S.REVIEW)
    page = moderator.get("/staff/queue").get_data(as_text=True)
    assert '<option value="masked_word">Замаскированные запрещённые слова</option>' in page
    assert ">masked_word<" not in page


def test_a_reply_is_shown_with_the_comment_it_answers(app, moderator) -> None:
    parent = make_comment(app, "Исходное мнение о статье", author_name="Бакыт")
    make_comment(app, "Не согласен с вами", parent_id=parent, status=S.REVIEW)
    page = moderator.get("/staff/queue").get_data(as_text=True)
    quote = page[page.index('<blockquote class="parent"') :]
    assert quote.index("В ответ Бакыт (одобрен):") < quote.index("Исходное мнение о статье")
    assert quote.index("Исходное мнение о статье") < quote.index("Не согласен с вами")


def test_the_authors_history_is_one_click_from_a_queue_item(app, moderator, admin) -> None:
    old = make_comment(app, "Старый спокойный комментарий", status=S.REVIEW)
    act(moderator, app, old, "reject", reason="не по теме")
    make_comment(app, "Чужой комментарий", voter_key="c:someone-else", ip_hash="other")
    make_comment(app, "Новый комментарий", status=S.REVIEW)
    page = moderator.get("/staff/queue").get_data(as_text=True)
    link = re.search(r'<a href="([^"]+)" class="history-link">', page).group(1)
    assert link == "/staff/author?voter=c:reader-1"
    history = moderator.get(link).get_data(as_text=True)
    assert "Старый спокойный комментарий" in history and "Новый комментарий" in history
    assert "Чужой комментарий" not in history
    assert "mod: отклонил комментарий — не по теме" in history
    assert "2 комментария" in history
    assert moderator.get("/staff/author").status_code == 404
