"""Reply notifications end to end: the form, the real SMTP server, the real RQ worker.

The Isso #443 lesson: nothing reaches a reader before the reply is approved, and nothing
at all before the reader confirmed the address.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import sqlalchemy as sa

from polls_site.comments.jobs import enqueue_moderation
from polls_site.core.db import db
from polls_site.models import CommentStatus, EmailOptOut, ReplySubscription
from polls_site.notifications.events import subscribe_to_replies
from tests.support.app import drain_queue
from tests.support.comments import Commenting, get_comment
from tests.support.factories import make_comment

ADDRESS = "Aigul@Mail.Example"
STORED = "aigul@mail.example"
LINK_RE = re.compile(r"https?://[^\s<>\"]+/notify/(?:confirm|unsubscribe)/[^\s<>\"]+")


def path(url: str) -> str:
    return urlsplit(url).path


def subscribe_with_comment(app, reader, text: str = "Мой первый комментарий.") -> int:
    """The reader posts with an email; the worker moderates it and mails the confirmation."""
    response = reader.post(text=text, email=ADDRESS)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert "ссылке" in response.get_data(as_text=True)  # «follow the link we have sent»
    drain_queue(app)
    with app.app_context():
        subscription = db.session.scalar(sa.select(ReplySubscription))
        return subscription.comment_id


def reply(app, parent_id: int, text: str, voter_key: str = "c:other") -> int:
    """A reply written as the form would store it: pending, its moderation enqueued."""
    comment_id = make_comment(
        app, text, parent_id=parent_id, voter_key=voter_key, status=CommentStatus.PENDING
    )
    with app.app_context():
        assert enqueue_moderation(comment_id)
    return comment_id


def links(message) -> list[str]:
    return LINK_RE.findall(message.get_body(("plain",)).get_content())


def confirm(reader, message) -> None:
    confirm_link = next(link for link in links(message) if "/confirm/" in link)
    page = reader.client.get(path(confirm_link))
    assert page.status_code == 200 and "Подтвердить" in page.get_data(as_text=True)
    done = reader.client.post(path(confirm_link))
    assert done.status_code == 200 and "Спасибо" in done.get_data(as_text=True)


def test_the_address_is_stored_normalised_and_never_shown(app, reader, smtp_server) -> None:
    subscribe_with_comment(app, reader)
    with app.app_context():
        row = db.session.scalar(sa.select(ReplySubscription))
        assert row.email == STORED and row.confirmed_at is None and row.lang == "ru"
    page = reader.open().get_data(as_text=True).lower()
    assert STORED not in page


def test_no_mail_before_confirmation_then_only_after_approval(
    app, other_reader, moderator, smtp_server
) -> None:
    # Its own browser: in the moderator's, the widget would post as staff.
    reader = Commenting(app.test_client())
    parent_id = subscribe_with_comment(app, reader)
    [confirmation] = smtp_server.mailbox.to(STORED)
    assert confirmation["Subject"] == "Подтвердите уведомления об ответах"
    # A reply approved before the address is confirmed: no mail.
    early = reply(app, parent_id, "Ответ до подтверждения")
    drain_queue(app)
    assert get_comment(app, early).status == CommentStatus.APPROVED
    assert len(smtp_server.mailbox.to(STORED)) == 1
    reply_id = make_comment(
        app,
        "Ответ <b>раньше</b>",
        parent_id=parent_id,
        voter_key="c:other",
        status=CommentStatus.REVIEW,
    )
    confirm(reader, confirmation)
    drain_queue(app)
    assert len(smtp_server.mailbox.to(STORED)) == 1  # the reply waits for a moderator
    row = get_comment(app, reply_id)
    decided = moderator.post(
        f"/staff/comments/{reply_id}/approve", data={"revision": str(row.revision)}
    )
    assert decided.status_code in (200, 303)
    drain_queue(app)
    messages = smtp_server.mailbox.to(STORED)
    assert len(messages) == 2
    notice = messages[1]
    assert notice["Subject"] == "Новый ответ на ваш комментарий"
    assert notice["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    html = notice.get_body(("html",)).get_content()
    assert "Ответ &lt;b&gt;раньше&lt;/b&gt;" in html and "<b>раньше" not in html
    assert "Ответ <b>раньше</b>" in notice.get_body(("plain",)).get_content()


def test_one_click_unsubscribe_stops_the_thread(app, reader, smtp_server) -> None:
    parent_id = subscribe_with_comment(app, reader)
    confirm(reader, smtp_server.mailbox.to(STORED)[0])
    reply(app, parent_id, "Первый ответ")
    drain_queue(app)  # the auto-moderator approves it, then the mail goes
    notice = smtp_server.mailbox.to(STORED)[-1]
    header = notice["List-Unsubscribe"].strip("<>")
    # RFC 8058: the mail client POSTs List-Unsubscribe=One-Click to the header's URL.
    one_click = reader.client.post(path(header), data={"List-Unsubscribe": "One-Click"})
    assert one_click.status_code == 200
    with app.app_context():
        assert db.session.scalar(sa.select(ReplySubscription)).unsubscribed_at is not None
    reply(app, parent_id, "Второй ответ")
    drain_queue(app)
    assert len(smtp_server.mailbox.to(STORED)) == 2  # confirmation and the first reply only


def test_global_unsubscribe_is_remembered_and_a_scanner_get_changes_nothing(
    app, reader, smtp_server
) -> None:
    parent_id = subscribe_with_comment(app, reader)
    confirm(reader, smtp_server.mailbox.to(STORED)[0])
    reply(app, parent_id, "Ответ")
    drain_queue(app)
    all_link = links(smtp_server.mailbox.to(STORED)[-1])[-1]
    assert reader.client.get(path(all_link)).status_code == 200
    with app.app_context():
        assert db.session.scalar(sa.select(ReplySubscription)).unsubscribed_at is None
    assert reader.client.post(path(all_link)).status_code == 200
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(EmailOptOut)) == 1


def test_a_forged_or_foreign_link_is_refused(app, reader, smtp_server) -> None:
    subscribe_with_comment(app, reader)
    link = path(links(smtp_server.mailbox.to(STORED)[0])[0])
    assert reader.client.post(link[:-3] + "abc").status_code == 404
    with app.app_context():
        assert db.session.scalar(sa.select(ReplySubscription)).confirmed_at is None


def test_self_replies_are_not_announced(app, reader, smtp_server) -> None:
    parent_id = subscribe_with_comment(app, reader)
    confirm(reader, smtp_server.mailbox.to(STORED)[0])
    with app.app_context():
        own_key = get_comment(app, parent_id).voter_key
    reply(app, parent_id, "Сам себе", voter_key=own_key)
    drain_queue(app)
    assert len(smtp_server.mailbox.to(STORED)) == 1


def test_a_bad_address_is_refused_with_a_message(app, reader) -> None:
    response = reader.post(email="not-an-address")
    assert response.status_code == 422
    assert "адрес" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(ReplySubscription)) == 0


def test_messages_follow_the_widgets_language(app, smtp_server) -> None:
    comment_id = make_comment(app, "Comment in English")
    with app.app_context():
        thread_id = get_comment(app, comment_id).thread_id
        assert subscribe_to_replies(comment_id, thread_id, "reader@mail.example", "en")
    drain_queue(app)
    [message] = smtp_server.mailbox.to("reader@mail.example")
    assert message["Subject"] == "Confirm reply notifications"
    assert "To confirm, open this link:" in message.get_body(("plain",)).get_content()
