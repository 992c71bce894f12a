"""/staff/notifications: admins only, CSRF, checked values, and the "send a test" button."""

from __future__ import annotations

import json
import re

from polls_site.notifications.webhook import verify
from tests.support.app import drain_queue
from tests.support.staff import audit_rows


def settings_form(receiver, **extra: str) -> dict:
    return {
        "webhook_url": receiver.url,
        "event_review": "1",
        "moderator_emails": "Duty@Newsroom.example, chief@newsroom.example",
        "digest_minutes": "15",
        **extra,
    }


def test_only_admins_see_the_settings(app, moderator) -> None:
    assert moderator.get("/staff/notifications").status_code == 403
    assert moderator.post("/staff/notifications/test").status_code == 403


def test_a_post_without_the_csrf_token_is_refused(app, admin, webhook_receiver) -> None:
    reply = admin.client.post("/staff/notifications", data=settings_form(webhook_receiver))
    assert reply.status_code == 400


def test_save_then_send_a_test_signed_with_the_new_secret(app, admin, webhook_receiver) -> None:
    saved = admin.post("/staff/notifications", settings_form(webhook_receiver, new_secret="1"))
    assert saved.status_code == 303
    page = admin.get("/staff/notifications").get_data(as_text=True)
    [secret] = re.findall(r"показан только сейчас\): ([A-Za-z0-9_-]+)", page)
    assert "duty@newsroom.example" in page
    # Shown once: the next view does not repeat it.
    assert secret not in admin.get("/staff/notifications").get_data(as_text=True)
    assert admin.post("/staff/notifications/test").status_code == 303
    drain_queue(app)
    [(headers, body)] = webhook_receiver.requests
    assert json.loads(body)["event"] == "test"
    assert verify(secret, headers["X-Polls-Timestamp"], headers["X-Polls-Signature"], body)
    [row] = audit_rows(app, "notifications.settings")
    assert secret not in json.dumps([row.before, row.after])


def test_bad_values_are_refused_with_messages_and_nothing_stored(app, admin) -> None:
    reply = admin.post(
        "/staff/notifications",
        {
            "webhook_url": "http://10.1.2.3/hook",
            "moderator_emails": "not-an-address",
            "digest_minutes": "0",
        },
    )
    assert reply.status_code == 422
    text = reply.get_data(as_text=True)
    assert "частный" in text and "not-an-address" in text and "1440" in text
    assert audit_rows(app, "notifications.settings") == []
