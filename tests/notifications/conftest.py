"""An app wired to a real SMTP server and a real webhook receiver on loopback."""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import pytest
from flask import Flask

from polls_site import create_app
from tests.support.app import app_config, empty_tables

WEBHOOK_SECRET = "whsec-test-0123456789"
MODERATORS = "mods@newsroom.example"


def notify_config(smtp_server, webhook_receiver, **extra) -> dict:
    """Mail through the test SMTP server; the loopback receiver explicitly allowed."""
    return {
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": smtp_server.port,
        "MAIL_FROM": "comments@polls.example",
        "NOTIFY_WEBHOOK_URL": webhook_receiver.url,
        "NOTIFY_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "NOTIFY_WEBHOOK_ALLOW_HOSTS": [f"127.0.0.1:{webhook_receiver.port}"],
        "NOTIFY_RETRY_SECONDS": [0, 0],
        **extra,
    }


@pytest.fixture
def app(
    database_url: str,
    redis_url: str,
    redis_prefix: str,
    _schema: None,
    smtp_server,
    webhook_receiver,
) -> Iterator[Flask]:
    """The suite's app, with notifications delivered to the loopback servers."""
    prefix = f"{redis_prefix}-{secrets.token_hex(3)}:"
    config = app_config(
        database_url, redis_url, prefix, **notify_config(smtp_server, webhook_receiver)
    )
    app = create_app(config)
    yield app
    empty_tables(app)
