"""An admin sets up the moderators' webhook in Chromium and presses «Отправить тест»: the
real worker delivers a signed event to a real receiver on loopback, the secret shown once
verifies it, and a tampered body or another secret does not."""

from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import Browser, expect

from polls_site.models import Role
from polls_site.notifications.webhook import verify
from tests.support.browser import WAIT_MS
from tests.support.factories import PASSWORD, make_staff
from tests.support.mail import wait_for

pytestmark = [pytest.mark.browser, pytest.mark.live]


def test_an_admin_sends_a_test_event_and_its_signature_verifies(
    live_factory, webhook_receiver, browser: Browser
) -> None:
    # Loopback is refused as a target unless listed, host and port exactly.
    server = live_factory(NOTIFY_WEBHOOK_ALLOW_HOSTS=f"127.0.0.1:{webhook_receiver.port}")
    make_staff(server.app, "admin", Role.ADMIN)
    context = browser.new_context()
    context.set_default_timeout(WAIT_MS)
    page = context.new_page()
    page.goto(server.url("/staff/login?next=/staff/notifications"))
    page.fill("input[name=username]", "admin")
    page.fill("input[name=password]", PASSWORD)
    page.press("input[name=password]", "Enter")
    page.get_by_label("Адрес вебхука (пусто — без вебхука)").fill(webhook_receiver.url)
    page.get_by_label("Читатели пожаловались на комментарий").check()
    page.get_by_role("button", name="Сохранить").click()
    shown = page.get_by_text("Новый секрет вебхука (показан только сейчас)")
    expect(shown).to_be_visible()
    secret = re.search(r"\(показан только сейчас\): (\S+)", shown.inner_text()).group(1)
    # Reloaded, the page never shows the secret again.
    page.reload()
    expect(page.get_by_text("Секрет задан.")).to_be_visible()
    assert secret not in page.content()

    page.get_by_role("button", name="Отправить тест").click()
    expect(page.get_by_text("Тестовое событие отправлено")).to_be_visible()
    server.run_worker_burst()
    wait_for(lambda: webhook_receiver.requests, what="the test event")
    [(headers, body)] = webhook_receiver.requests
    assert json.loads(body)["event"] == "test"
    timestamp, signature = headers["X-Polls-Timestamp"], headers["X-Polls-Signature"]
    assert verify(secret, timestamp, signature, body)
    assert not verify(secret, timestamp, signature, body.replace(b"test", b"tset"))
    assert not verify(secret + "x", timestamp, signature, body)
    context.close()
