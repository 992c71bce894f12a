"""Moderators' notifications: the signed webhook on a real loopback receiver, its refusal
of private targets, retries that end in /staff/jobs, and the mail digest."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import timedelta

import pytest

from polls_site.comments.jobs import enqueue_moderation
from polls_site.core.db import db
from polls_site.core.jobs import NOTIFICATIONS, task_queue
from polls_site.models import Comment, CommentStatus, utcnow
from polls_site.notifications import events
from polls_site.notifications.jobs import check_queue_age
from polls_site.notifications.webhook import WebhookRefused, resolve_target, sign, verify
from tests.support.app import drain_queue
from tests.support.comments import get_comment
from tests.support.factories import make_comment

from .conftest import MODERATORS, WEBHOOK_SECRET


def comment_to_review(app) -> int:
    """A comment the auto-moderator sends to a person (site-wide premoderation)."""
    app.config["PREMODERATE_ALL"] = True
    comment_id = make_comment(app, "Текст для модератора", status="pending")
    with app.app_context():
        assert enqueue_moderation(comment_id)
    return comment_id


def test_a_comment_entering_review_reaches_the_receiver_signed(app, webhook_receiver) -> None:
    comment_id = comment_to_review(app)
    drain_queue(app)
    assert get_comment(app, comment_id).status == "review"
    [(headers, body)] = webhook_receiver.requests
    event = json.loads(body)
    assert event["event"] == "review" and event["comment"]["id"] == comment_id
    assert event["waiting"] == 1
    assert headers["X-Polls-Event"] == "review"
    timestamp, signature = headers["X-Polls-Timestamp"], headers["X-Polls-Signature"]
    assert verify(WEBHOOK_SECRET, timestamp, signature, body)
    # What a receiver must detect: a changed body, another secret, a replayed old message.
    assert not verify(WEBHOOK_SECRET, timestamp, signature, body.replace(b"review", b"approved"))
    assert not verify("another-secret", timestamp, signature, body)
    assert not verify(WEBHOOK_SECRET, timestamp, signature, body, now=int(timestamp) + 301)


def test_the_signature_is_hmac_sha256_of_timestamp_dot_body() -> None:
    expected = hmac.new(b"k", b"1700000000.{}", hashlib.sha256).hexdigest()
    assert sign("k", 1700000000, b"{}") == "sha256=" + expected


def test_a_reported_comment_is_an_event_too(app, webhook_receiver) -> None:
    comment_id = make_comment(app, "Обычный текст")
    with app.app_context():
        assert events.comment_reported(get_comment(app, comment_id))
    drain_queue(app)
    [(_headers, body)] = webhook_receiver.requests
    assert json.loads(body)["event"] == "reported"


def test_events_not_chosen_are_not_sent(app, webhook_receiver) -> None:
    app.config["NOTIFY_WEBHOOK_EVENTS"] = ["reported"]
    comment_to_review(app)
    drain_queue(app)
    assert webhook_receiver.requests == []


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9/hook",
        "http://localhost:9/hook",
        "http://10.0.0.5/hook",
        "http://192.168.1.1/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/hook",
        "http://[::ffff:127.0.0.1]/hook",
        "http://0.0.0.0/hook",
        "ftp://example.com/hook",
        "file:///etc/passwd",
    ],
)
def test_private_loopback_and_link_local_targets_are_refused(url: str) -> None:
    with pytest.raises(WebhookRefused):
        resolve_target(url, allow_hosts=[])


def test_the_allowlist_names_host_and_port_exactly() -> None:
    assert resolve_target("http://127.0.0.1:8125/x", ["127.0.0.1:8125"])[3] == "127.0.0.1"
    with pytest.raises(WebhookRefused):
        resolve_target("http://127.0.0.1:8126/x", ["127.0.0.1:8125"])


def test_a_public_address_is_accepted() -> None:
    assert resolve_target("https://93.184.215.14/hook", [])[1:] == (
        "93.184.215.14",
        443,
        "93.184.215.14",
    )


def test_a_redirect_is_a_failure_not_followed(app, webhook_receiver) -> None:
    webhook_receiver.status = 302
    comment_to_review(app)
    drain_queue(app)
    # Tried once and retried twice (NOTIFY_RETRY_SECONDS = 0, 0), never elsewhere.
    assert len(webhook_receiver.requests) == 3


def test_failures_are_retried_then_shown_in_staff_jobs(app, webhook_receiver, admin) -> None:
    webhook_receiver.status = 500
    comment_to_review(app)
    drain_queue(app)
    assert len(webhook_receiver.requests) == 3
    with app.app_context():
        failed = task_queue(NOTIFICATIONS).failed_job_registry
        assert failed.count == 1
    page = admin.get("/staff/jobs").get_data(as_text=True)
    assert "deliver_webhook" in page and "answered 500" in page


def test_the_digest_is_one_message_for_a_flood(app, smtp_server, webhook_receiver) -> None:
    # An interval of 0: the digest is due as soon as it is scheduled, and the scheduler
    # (the second drain) moves it to the queue.
    app.config.update(MODERATOR_EMAILS=[MODERATORS], MODERATOR_DIGEST_SECONDS=0)
    ids = [make_comment(app, f"Жалоба {n}") for n in range(5)]
    with app.app_context():
        for comment_id in ids:
            assert events.moderator_event("reported", comment_id)
    drain_queue(app)
    assert smtp_server.mailbox.to(MODERATORS) == []  # scheduled, not sent
    assert len(webhook_receiver.requests) == 5  # the webhook has no digest
    drain_queue(app, with_scheduler=True)
    [digest] = smtp_server.mailbox.to(MODERATORS)
    assert "событий — 5" in digest["Subject"]
    body = digest.get_body(("plain",)).get_content()
    # Named for a person, not by the webhook's code.
    assert body.count("* Читатели пожаловались на комментарий") == 5 and "reported" not in body


def test_an_old_queue_is_an_event_and_a_fresh_one_is_not(app, webhook_receiver) -> None:
    fresh = make_comment(app, "Свежий", status=CommentStatus.REVIEW)
    with app.app_context():
        assert check_queue_age() is False
        old = db.session.get(Comment, fresh)
        old.moderated_at = utcnow() - timedelta(minutes=app.config["NOTIFY_QUEUE_OLD_MINUTES"] + 1)
        db.session.commit()
        assert check_queue_age() is True
    drain_queue(app)
    [(_headers, body)] = webhook_receiver.requests
    assert json.loads(body)["event"] == "queue_old"
    assert json.loads(body)["comment"]["id"] == fresh
