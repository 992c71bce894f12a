"""Posting a comment: the stored row and its moderation job, every refusal with its own
message and status, the typed text kept, rate limits, bans, honeypot, no JavaScript."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask
from rq.job import Job

from polls_site.comments.render import render_comment_html
from polls_site.core.clients import ip_hash
from polls_site.core.db import db
from polls_site.models import Ban, CommentStatus, utcnow
from tests.support.comments import Commenting, comment_rows
from tests.support.factories import KEY, make_comment, make_thread

TEXT = "Интересная статья.\n\nСпасибо, см. https://example.org/a"


def queued_jobs(app: Flask) -> list[Job]:
    with app.app_context():
        queue = app.extensions["polls_queues"]["moderation"]
        return [queue.fetch_job(job_id) for job_id in queue.job_ids]


def test_htmx_post_stores_a_pending_comment_and_enqueues_moderation(
    app: Flask, reader: Commenting
) -> None:
    make_thread(app)
    response = reader.post(text=f"  {TEXT}  ", name=" Айгуль ")
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert "Спасибо! Ваш комментарий появится после модерации." in body
    assert body.startswith('<form id="comment-form"')
    assert 'hx-swap-oob="true"' in body and "на модерации" in body
    assert 'value="Айгуль"' in body  # the name is kept for the next comment
    assert (
        '<textarea id="comment-text" name="text" rows="4" aria-required="true"></textarea>' in body
    )

    [comment] = comment_rows(app)
    assert comment.status == CommentStatus.PENDING
    assert (comment.author_name, comment.text) == ("Айгуль", TEXT)
    assert comment.html == render_comment_html(TEXT)
    assert 'rel="nofollow ugc noopener noreferrer"' in comment.html
    assert comment.voter_key.startswith("c:") and comment.ip_hash

    [job] = queued_jobs(app)
    assert job.func_name == "polls_site.comments.jobs.moderate_comment"
    assert job.args == [comment.id] or job.args == (comment.id,)
    assert job.id.endswith(f"moderate-{comment.id}")
    assert job.retries_left == 3


def test_plain_post_redirects_with_303(app: Flask, reader: Commenting) -> None:
    make_thread(app)
    response = reader.post(htmx=False)
    assert response.status_code == 303
    assert response.headers["Location"] == f"/w/comments/{KEY}?posted=1#own-comments"
    page = reader.client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Спасибо! Ваш комментарий появится после модерации." in page
    assert "на модерации" in page


def test_premoderated_thread_still_goes_through_the_job(app: Flask, reader: Commenting) -> None:
    make_thread(app, premoderated=True)
    assert reader.post().status_code == 200
    assert len(queued_jobs(app)) == 1
    assert comment_rows(app)[0].status == CommentStatus.PENDING


@pytest.mark.parametrize(
    "name, text, field, message",
    [
        ("", TEXT, "name", "Укажите имя."),
        ("   ", TEXT, "name", "Укажите имя."),
        ("Я" * 81, TEXT, "name", "Имя слишком длинное: не больше 80 знаков."),
        ("Айгуль", "", "text", "Напишите комментарий."),
        ("Айгуль", " \n\t ", "text", "Напишите комментарий."),
        (
            "Айгуль",
            "д" * 3001,
            "text",
            "Комментарий слишком длинный: не больше 3000 знаков (у вас 3001).",
        ),
    ],
)
def test_each_validation_error_has_its_message_and_keeps_the_text(
    app: Flask, reader: Commenting, name: str, text: str, field: str, message: str
) -> None:
    make_thread(app)
    for htmx in (True, False):
        response = reader.post(name=name, text=text, htmx=htmx)
        assert response.status_code == 422
        body = response.get_data(as_text=True)
        assert f'<span class="field-error" id="comment-{field}-error">{message}</span>' in body
        assert body.count('class="field-error"') == 1
        if text.strip():
            assert f">{text.strip()}</textarea>" in body
        if name.strip():
            assert f'value="{name.strip()}"' in body
    assert comment_rows(app) == []


def test_control_characters(app: Flask, reader: Commenting) -> None:
    make_thread(app)
    assert reader.post(name="Ай\x00гуль\n\x07", text="стр\x00ока\nвторая\t!").status_code == 200
    [comment] = comment_rows(app)
    assert (comment.author_name, comment.text) == ("Айгуль", "строка\nвторая\t!")


@pytest.mark.parametrize(
    "typed, stored",
    [
        ("\u202eнимда\u202c Гульнара", "нимда Гульнара"),  # shown as «админ Гульнара»
        ("Ай\u200bгуль", "Айгуль"),
        ("\u2066Гульнара\u2069\ufeff", "Гульнара"),
    ],
)
def test_names_lose_bidi_controls_and_zero_width_characters(
    app: Flask, reader: Commenting, typed: str, stored: str
) -> None:
    make_thread(app)
    assert reader.post(name=typed).status_code == 200
    assert comment_rows(app)[0].author_name == stored


def test_a_name_of_invisible_characters_only_is_no_name(app: Flask, reader: Commenting) -> None:
    make_thread(app)
    response = reader.post(name="\u202e\u200b\u202c")
    assert response.status_code == 422
    assert comment_rows(app) == []


def test_exactly_3000_characters_and_an_80_character_name_are_fine(
    app: Flask, reader: Commenting
) -> None:
    make_thread(app)
    assert reader.post(name="Я" * 80, text="д" * 3000).status_code == 200
    assert len(comment_rows(app)[0].text) == 3000


def test_honeypot(app: Flask, reader: Commenting) -> None:
    make_thread(app)
    response = reader.post(website="http://spam.example")
    assert response.status_code == 400
    assert "похож на автоматическую рассылку" in response.get_data(as_text=True)
    assert comment_rows(app) == [] and queued_jobs(app) == []


@pytest.mark.parametrize(
    "token, headers",
    [
        ("forged", {}),
        ("", {}),
        (None, {"Origin": "https://evil.example"}),
        (None, {"Sec-Fetch-Site": "cross-site"}),
    ],
)
def test_forged_or_cross_site_posts_are_refused(
    app: Flask, reader: Commenting, token: str | None, headers: dict
) -> None:
    make_thread(app)
    if token is None:
        token = reader.token()
    response = reader.client.post(
        f"/w/comments/{KEY}",
        data={"token": token, "name": "А", "text": "Мой длинный текст"},
        headers={"HX-Request": "true", **headers},
    )
    assert response.status_code == 403
    body = response.get_data(as_text=True)
    assert "Форма устарела или отправлена с другого сайта" in body
    assert ">Мой длинный текст</textarea>" in body
    assert comment_rows(app) == []


def test_token_of_another_thread_is_refused(app: Flask, reader: Commenting) -> None:
    make_thread(app)
    make_thread(app, key="other-article")
    token = reader.token("other-article")
    assert reader.post(token=token).status_code == 403


def test_posting_to_an_unknown_thread_is_404(app: Flask, reader: Commenting) -> None:
    make_thread(app)
    token = reader.token()
    assert reader.post("no-such-thread", token=token).status_code == 404


def test_rate_limit_per_reader(app: Flask, reader: Commenting) -> None:
    app.config["COMMENT_LIMIT_VOTER"] = "3/600"
    make_thread(app)
    token = reader.token()
    for i in range(3):
        assert reader.post(text=f"текст {i}", token=token).status_code == 200
    refused = reader.post(text="четвёртый", token=token)
    assert refused.status_code == 429
    assert 0 < int(refused.headers["Retry-After"]) <= 600
    body = refused.get_data(as_text=True)
    assert "Вы пишете слишком часто. Попробуйте снова через 10 минут." in body
    assert ">четвёртый</textarea>" in body
    assert len(comment_rows(app)) == 3


def test_rate_limit_per_ip_counts_every_reader(app: Flask) -> None:
    app.config["COMMENT_LIMIT_IP"] = "4/60"
    make_thread(app)
    codes = []
    for i in range(5):
        # Five browsers on one network: five voter cookies, one IP.
        codes.append(Commenting(app.test_client()).post(text=f"от {i}").status_code)
    assert codes == [200, 200, 200, 200, 429]
    assert len({c.voter_key for c in comment_rows(app)}) == 4


def _ban(app: Flask, **fields) -> None:
    with app.test_request_context():
        if fields.pop("this_ip", False):
            fields["ip_hash"] = ip_hash("127.0.0.1")
        db.session.add(Ban(reason="test", **fields))
        db.session.commit()


@pytest.mark.parametrize(
    "fields, banned",
    [
        ({"this_ip": True}, True),
        ({"this_ip": True, "expires_at": utcnow() + timedelta(days=1)}, True),
        ({"this_ip": True, "expires_at": utcnow() - timedelta(minutes=1)}, False),
        ({"this_ip": True, "lifted_at": utcnow()}, False),
        ({"ip_hash": "someone-else"}, False),
    ],
)
def test_bans_by_ip(app: Flask, reader: Commenting, fields: dict, banned: bool) -> None:
    make_thread(app)
    _ban(app, **fields)
    response = reader.post()
    if banned:
        assert response.status_code == 403
        assert "модераторы ограничили вам доступ" in response.get_data(as_text=True)
        assert comment_rows(app) == []
    else:
        assert response.status_code == 200
        assert len(comment_rows(app)) == 1


def test_ban_by_reader(app: Flask, reader: Commenting) -> None:
    make_thread(app)
    assert reader.post(text="первый").status_code == 200
    _ban(app, voter_key=comment_rows(app)[0].voter_key)
    assert reader.post(text="второй").status_code == 403
    assert len(comment_rows(app)) == 1


def test_reply_to_an_approved_comment(app: Flask, reader: Commenting) -> None:
    thread_id = make_thread(app)
    parent = make_comment(app, "Корень", thread=thread_id, author_name="Бек")
    form = reader.client.get(
        f"/w/comments/{KEY}/-/form?reply={parent}", headers={"HX-Request": "true"}
    ).get_data(as_text=True)
    assert "В ответ: Бек" in form and f'name="parent" value="{parent}"' in form
    plain = reader.open(reply=str(parent)).get_data(as_text=True)  # the no-JS reply link
    assert "В ответ: Бек" in plain and f'name="parent" value="{parent}"' in plain
    assert reader.post(parent=str(parent)).status_code == 200
    assert comment_rows(app)[-1].parent_id == parent


def test_the_reply_form_htmx_opens_under_a_comment_has_ids_of_its_own(
    app: Flask, reader: Commenting
) -> None:
    thread_id = make_thread(app)
    parent = make_comment(app, "Корень", thread=thread_id, author_name="Бек")
    under = {"HX-Request": "true", "HX-Target": f"comment-{parent}"}
    form = reader.client.get(f"/w/comments/{KEY}/-/form?reply={parent}", headers=under)
    body = form.get_data(as_text=True)
    # Beside the thread's form (#comment-form), focused on opening, closed by widget.js.
    assert body.startswith('<form id="reply-form"') and 'id="comment-' not in body
    assert 'id="reply-name"' in body and " autofocus" in body
    assert 'class="cancel-reply"' in body
    sent = reader.post(parent=str(parent), headers={"HX-Target": "reply-form"})
    assert sent.status_code == 200
    done = sent.get_data(as_text=True)
    assert done.startswith('<div id="reply-form" class="reply-done">')
    notice, _, own = done.partition('<section id="own-comments"')
    assert "Спасибо!" in notice and "<form" not in notice and 'hx-swap-oob="true"' in own
    assert comment_rows(app)[-1].parent_id == parent
    # An error keeps the reader's text in the same in-place form, without autofocus.
    refused = reader.post(parent=str(parent), text="", headers={"HX-Target": "reply-form"})
    assert refused.status_code == 422
    again = refused.get_data(as_text=True)
    assert again.startswith('<form id="reply-form"') and " autofocus" not in again
    gone = reader.client.get(f"/w/comments/{KEY}/-/form?reply=99999", headers=under)
    assert "больше недоступен" in gone.get_data(as_text=True)


@pytest.mark.parametrize("kind", ["other-thread", "not-approved", "junk", "missing"])
def test_reply_to_what_is_not_there_is_refused(app: Flask, reader: Commenting, kind: str) -> None:
    thread_id = make_thread(app)
    other = make_thread(app, key="other")
    parent = {
        "other-thread": lambda: str(make_comment(app, "x", thread=other)),
        "not-approved": lambda: str(
            make_comment(app, "x", thread=thread_id, status=CommentStatus.REVIEW)
        ),
        "junk": lambda: "abc",
        "missing": lambda: "99999",
    }[kind]()
    before = len(comment_rows(app))
    response = reader.post(parent=parent, text="мой ответ")
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert "на который вы отвечаете, больше недоступен" in body
    assert ">мой ответ</textarea>" in body
    assert len(comment_rows(app)) == before


def test_without_redis_the_comment_is_stored_and_waits(app_without_redis: Flask) -> None:
    make_thread(app_without_redis)
    reader = Commenting(app_without_redis.test_client())
    assert reader.post().status_code == 200
    [comment] = comment_rows(app_without_redis)
    assert comment.status == CommentStatus.PENDING
    # Without Redis to say who has written here, the database is asked.
    assert "на модерации" in reader.open().get_data(as_text=True)


def test_posts_are_counted_by_outcome(app: Flask, reader: Commenting) -> None:
    from tests.core.test_metrics import sample

    make_thread(app)
    name = "polls_comments_posted_total"
    before = reader.client.get("/metrics").get_data(as_text=True)
    reader.post()
    reader.post(text="")
    reader.post(website="x")
    after = reader.client.get("/metrics").get_data(as_text=True)
    for outcome in ("accepted", "invalid", "honeypot"):
        assert sample(after, name, outcome=outcome) == sample(before, name, outcome=outcome) + 1
