"""The reader's side in a real browser against gunicorn, a real worker and a real SMTP
server: subscribe on the form, confirm, a reply is approved, the mail arrives, the
unsubscribe link works."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from playwright.sync_api import Browser, expect

from polls_site.comments.status import change_status, thread_changed
from polls_site.core.db import db
from polls_site.models import Comment, CommentStatus, ReplySubscription
from tests.support.browser import WAIT_MS
from tests.support.factories import KEY, make_comment, make_thread

from .test_replies import LINK_RE

pytestmark = [pytest.mark.browser, pytest.mark.live]

ADDRESS = "reader@mail.example"


def approve(app, comment_id: int) -> None:
    """What a moderator's decision does: approve, commit (the reply mail is enqueued)."""
    with app.app_context():
        comment = db.session.get(Comment, comment_id)
        change_status(comment, CommentStatus.APPROVED)
        db.session.commit()
        thread_changed(comment.thread_id, KEY)
        db.session.remove()


def own_comment_id(app) -> int:
    with app.app_context():
        comment_id = db.session.scalar(sa.select(Comment.id).order_by(Comment.id).limit(1))
        db.session.remove()
        return comment_id


def mail_links(message) -> list[str]:
    return [
        urlsplit(link).path for link in LINK_RE.findall(message.get_body(("plain",)).get_content())
    ]


def test_subscribe_confirm_hear_of_the_approved_reply_and_unsubscribe(
    live_factory, smtp_server, browser: Browser
) -> None:
    server = live_factory(
        SMTP_HOST="127.0.0.1",
        SMTP_PORT=smtp_server.port,
        MAIL_FROM="comments@polls.example",
        PREMODERATE_ALL="1",
    )
    make_thread(server.app)
    context = browser.new_context()
    context.set_default_timeout(WAIT_MS)
    page = context.new_page()
    page.goto(server.url(f"/w/comments/{KEY}"))
    page.wait_for_function("() => window.htmx !== undefined")
    page.get_by_label("Ваше имя").fill("Айгуль")
    page.get_by_label("Комментарий", exact=True).fill("Жду ответа редакции.")
    page.get_by_label("Почта для уведомлений об ответах (необязательно)").fill(ADDRESS)
    page.get_by_role("button", name="Отправить").click()
    expect(page.locator("#comment-form").get_by_text("перейдите по ссылке")).to_be_visible()

    server.run_worker_burst()  # moderation (to review: premoderated) and the confirmation
    [confirmation] = smtp_server.mailbox.to(ADDRESS)
    parent_id = own_comment_id(server.app)
    approve(server.app, parent_id)
    page.goto(server.url(mail_links(confirmation)[0]))
    page.get_by_role("button", name="Подтвердить").click()
    expect(page.get_by_text("Спасибо! Мы пришлём письмо")).to_be_visible()

    reply_id = make_comment(
        server.app,
        "Ответ редакции",
        parent_id=parent_id,
        voter_key="c:editor",
        status=CommentStatus.REVIEW,
        author_name="Редакция",
    )
    server.run_worker_burst()
    assert len(smtp_server.mailbox.to(ADDRESS)) == 1  # not before the approval
    approve(server.app, reply_id)
    server.run_worker_burst()
    [_confirmation, notice] = smtp_server.mailbox.to(ADDRESS)
    assert "Ответ редакции" in notice.get_body(("plain",)).get_content()
    assert notice["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

    page.goto(server.url(mail_links(notice)[0]))  # this discussion only
    page.get_by_role("button", name="Отписаться").click()
    expect(page.get_by_text("Вы больше не будете получать писем")).to_be_visible()
    with server.app.app_context():
        assert db.session.scalar(sa.select(ReplySubscription)).unsubscribed_at is not None
        db.session.remove()
    # The address never appears on the reader's page.
    page.goto(server.url(f"/w/comments/{KEY}"))
    assert ADDRESS not in page.content()
    context.close()
