"""Staff voice through the test client: staff write as staff (thread page, and the widget
when their session comes with it), pin and pick comments; readers never get a badge,
never pin, and forged fields change nothing; every change audit-logged and CSRF-checked."""

from __future__ import annotations

import re

from flask import Flask

from polls_site.models import CommentStatus, Role
from tests.support.comments import Commenting, comment_rows, get_comment, thread_count
from tests.support.factories import KEY, make_comment, make_thread
from tests.support.staff import CSRF_RE, StaffClient, audit_rows, logged_in

BADGE = re.compile(r'<span class="staff-badge staff-badge-(\w+)">([^<]+)</span>')


def badges(page: str) -> list[tuple[str, str]]:
    """The staff badges a page shows, as (code, label)."""
    return BADGE.findall(page)


def item_ids(page: str) -> list[int]:
    """The top-level comments of the widget's list, in the order shown."""
    return [
        int(i) for i in re.findall(r'<article class="thread-item">\s*<div id="comment-(\d+)"', page)
    ]


def test_moderator_posts_from_the_thread_page_published_with_a_badge(
    app: Flask, moderator: StaffClient, other_reader: Commenting
) -> None:
    thread_id = make_thread(app, key=KEY)
    reply = moderator.post(f"/staff/threads/{thread_id}/comments", {"text": "Спокойнее, коллеги."})
    assert reply.status_code == 303
    [comment] = comment_rows(app)
    assert comment.status == CommentStatus.APPROVED
    assert (comment.author_name, comment.staff_badge) == ("mod", "moderator")
    assert comment.staff_user_id is not None and comment.voter_key.startswith("staff:")
    assert thread_count(app, KEY) == 1
    page = other_reader.open().get_data(as_text=True)
    assert badges(page) == [("moderator", "Модератор")]
    assert "Спокойнее, коллеги." in page
    [entry] = audit_rows(app, "comment.staff_post")
    assert (entry.staff_name, entry.target_id) == ("mod", str(comment.id))
    assert entry.after["badge"] == "moderator"


def test_an_editor_replies_as_the_newsroom_under_their_display_name(
    app: Flask, editor: StaffClient, admin: StaffClient, other_reader: Commenting
) -> None:
    thread_id = make_thread(app, key=KEY)
    question = make_comment(app, "Когда будет продолжение?", thread=thread_id)
    with app.app_context():
        from polls_site.core.db import db
        from polls_site.models import StaffUser

        ed_id = db.session.scalar(db.select(StaffUser.id).where(StaffUser.username == "ed"))
    saved = admin.post(f"/staff/accounts/{ed_id}/display-name", {"display_name": "Анна Иванова"})
    assert saved.status_code == 303
    assert [e.after for e in audit_rows(app, "staff.display_name")] == [
        {"display_name": "Анна Иванова"}
    ]
    form = editor.get(f"/staff/threads/{thread_id}?reply={question}").get_data(as_text=True)
    assert f'name="parent" value="{question}"' in form and "Вы пишете как Анна Иванова" in form
    reply = editor.post(
        f"/staff/threads/{thread_id}/comments", {"text": "Завтра.", "parent": str(question)}
    )
    assert reply.status_code == 303
    answer = comment_rows(app)[-1]
    assert (answer.parent_id, answer.author_name, answer.staff_badge) == (
        question,
        "Анна Иванова",
        "editorial",
    )
    assert badges(other_reader.open().get_data(as_text=True)) == [("editorial", "Редакция")]
    # The display name is now the staff's: no reader may sign with it, however spelled.
    for name in ("Анна Иванова", "AHHA ИBAHOBA", "Анна Иван0ва"):
        refused = other_reader.post(name=name)
        assert refused.status_code == 422, name
        assert "зарезервировано для редакции" in refused.get_data(as_text=True)


def test_the_thread_page_refuses_bad_comments_and_needs_csrf(
    app: Flask, moderator: StaffClient
) -> None:
    thread_id = make_thread(app, key=KEY)
    hidden = make_comment(app, thread=thread_id, status=CommentStatus.HIDDEN)
    url = f"/staff/threads/{thread_id}/comments"
    empty = moderator.post(url, {"text": "   "})
    assert empty.status_code == 422 and "Напишите комментарий." in empty.get_data(as_text=True)
    for parent in (str(hidden), "junk", "99999"):
        gone = moderator.post(url, {"text": "Ответ", "parent": parent})
        assert gone.status_code == 422, parent
        assert "больше недоступен" in gone.get_data(as_text=True)
    assert moderator.client.post(url, data={"text": "Без токена"}).status_code == 400
    assert len(comment_rows(app)) == 1
    assert audit_rows(app, "comment.staff_post") == []
    # A closed thread still takes a note from staff.
    assert moderator.post(f"/staff/threads/{thread_id}/close").status_code == 303
    assert moderator.post(url, {"text": "Обсуждение закрыто: спасибо всем."}).status_code == 303
    assert comment_rows(app)[-1].status == CommentStatus.APPROVED


def test_staff_post_from_the_widget_with_their_badge_and_readers_cannot_forge_one(
    app: Flask, editor: StaffClient, other_reader: Commenting
) -> None:
    make_thread(app, key=KEY)
    as_staff = Commenting(editor.client)
    page = as_staff.open().get_data(as_text=True)
    assert "Вы пишете как ed" in page and 'name="name"' not in page
    # The name field is not read: a staff member posts under their own name.
    for htmx in (False, True):
        reply = as_staff.post(text=f"От редакции ({htmx})", name="Кто-то другой", htmx=htmx)
        assert reply.status_code == (204 if htmx else 303)
        target = reply.headers["HX-Redirect"] if htmx else reply.headers["Location"]
        assert "published=1" in target and "#comment-" in target
    staff_rows = comment_rows(app)
    assert [(c.author_name, c.staff_badge, c.status) for c in staff_rows] == [
        ("ed", "editorial", CommentStatus.APPROVED)
    ] * 2
    assert "Ваш комментарий опубликован." in as_staff.open(published="1").get_data(True)
    assert len(audit_rows(app, "comment.staff_post")) == 2

    forged = other_reader.post(
        text="Я тоже редакция",
        staff_badge="editorial",
        staff_user_id=str(staff_rows[0].staff_user_id),
        badge="editorial",
        staff="1",
    )
    assert forged.status_code == 200
    mine = comment_rows(app)[-1]
    assert (mine.staff_badge, mine.staff_user_id, mine.status) == (None, None, "pending")


def test_cross_site_requests_and_the_setting_keep_staff_readers(
    app: Flask, editor: StaffClient
) -> None:
    make_thread(app, key=KEY)
    as_staff = Commenting(editor.client)
    cross = {"Sec-Fetch-Site": "cross-site"}
    page = editor.client.get(f"/w/comments/{KEY}", headers=cross).get_data(as_text=True)
    assert 'name="name"' in page and "Вы пишете как" not in page
    app.config["STAFF_POST_FROM_WIDGET"] = False
    assert as_staff.post(name="Айгуль", text="Ещё один").status_code == 200
    assert [(c.staff_badge, c.status) for c in comment_rows(app)] == [(None, "pending")]


def test_pinned_comment_comes_first_picks_are_labelled_and_caches_follow(
    app: Flask, moderator: StaffClient, other_reader: Commenting
) -> None:
    thread_id = make_thread(app, key=KEY)
    old = make_comment(app, "Старый комментарий", thread=thread_id)
    new = make_comment(app, "Новый комментарий", thread=thread_id)
    # The reader's page is cached per thread version: pinning must show at once.
    assert item_ids(other_reader.open().get_data(as_text=True)) == [new, old]
    base = f"/staff/threads/{thread_id}/comments"
    assert moderator.post(f"{base}/{old}/pin").status_code == 303
    assert moderator.post(f"{base}/{new}/pick").status_code == 303
    page = other_reader.open().get_data(as_text=True)
    assert item_ids(page) == [old, new]
    pinned = page[page.index(f'id="comment-{old}"') : page.index(f'id="comment-{new}"')]
    assert "Закреплено" in pinned and "Выбор редакции" not in pinned
    assert "Выбор редакции" in page[page.index(f'id="comment-{new}"') :]
    assert item_ids(other_reader.open(sort="old").get_data(as_text=True)) == [old, new]
    # Twice is once.
    assert moderator.post(f"{base}/{old}/pin").status_code == 303
    assert moderator.post(f"{base}/{old}/unpin").status_code == 303
    assert moderator.post(f"{base}/{new}/unpick").status_code == 303
    page = other_reader.open().get_data(as_text=True)
    assert item_ids(page) == [new, old]
    assert "Закреплено" not in page and "Выбор редакции" not in page
    assert [e.action for e in audit_rows(app) if e.target_type == "comment"] == [
        "comment.pin",
        "comment.pick",
        "comment.unpin",
        "comment.unpick",
    ]


def test_only_published_top_level_comments_are_pinned(app: Flask, moderator: StaffClient) -> None:
    thread_id = make_thread(app, key=KEY)
    root = make_comment(app, thread=thread_id)
    reply = make_comment(app, thread=thread_id, parent_id=root)
    waiting = make_comment(app, thread=thread_id, status=CommentStatus.REVIEW)
    other_thread = make_thread(app, key="other")
    elsewhere = make_comment(app, thread=other_thread)
    base = f"/staff/threads/{thread_id}/comments"
    refused = moderator.post(f"{base}/{reply}/pin")
    assert refused.status_code == 422
    assert "только комментарий верхнего уровня" in refused.get_data(as_text=True)
    assert moderator.post(f"{base}/{reply}/pick").status_code == 303
    assert moderator.post(f"{base}/{waiting}/pin").status_code == 409
    assert moderator.post(f"{base}/{elsewhere}/pin").status_code == 404
    assert moderator.post(f"{base}/{root}/feature").status_code == 404
    assert get_comment(app, reply).pinned_at is None
    assert get_comment(app, waiting).pinned_at is None
    assert get_comment(app, elsewhere).pinned_at is None
    assert [e.action for e in audit_rows(app) if e.target_type == "comment"] == ["comment.pick"]


def test_readers_cannot_pin_and_csrf_is_required(
    app: Flask, moderator: StaffClient, other_reader: Commenting
) -> None:
    thread_id = make_thread(app, key=KEY)
    root = make_comment(app, thread=thread_id)
    url = f"/staff/threads/{thread_id}/comments/{root}/pin"
    assert other_reader.client.post(url).status_code == 400  # no staff session, no token
    # With a token of the login page but no login: sent to log in, nothing pinned.
    login_page = other_reader.client.get("/staff/login").get_data(as_text=True)
    token = CSRF_RE.search(login_page).group(1)
    anonymous = other_reader.client.post(url, data={"csrf_token": token})
    assert anonymous.status_code == 303 and "/staff/login" in anonymous.headers["Location"]
    # A reader's widget post cannot pin either: the fields are not read.
    other_reader.post(pinned="1", pinned_at="2026-01-01", picked="1")
    assert moderator.client.post(url).status_code == 400
    assert get_comment(app, root).pinned_at is None
    assert [c.pinned_at for c in comment_rows(app)] == [None, None]
    assert audit_rows(app, "comment.pin") == []


def test_display_names_are_checked_and_reset_to_the_username(
    app: Flask, admin: StaffClient
) -> None:
    logged_in(app, app.test_client(), "aigul", Role.MODERATOR)
    with app.app_context():
        from polls_site.core.db import db
        from polls_site.models import StaffUser

        user_id = db.session.scalar(db.select(StaffUser.id).where(StaffUser.username == "aigul"))
    url = f"/staff/accounts/{user_id}/display-name"
    long = admin.post(url, {"display_name": "я" * 81})
    assert long.status_code == 422 and "Не больше 80 знаков." in long.get_data(as_text=True)
    assert admin.post(url, {"display_name": "Айгуль\u200b Н."}).status_code == 303
    assert admin.post(url, {"display_name": " "}).status_code == 303
    assert [e.after["display_name"] for e in audit_rows(app, "staff.display_name")] == [
        "Айгуль Н.",
        None,
    ]
    editor = logged_in(app, app.test_client(), "ed2", Role.EDITOR)
    assert editor.post(url, {"display_name": "X"}).status_code == 403
