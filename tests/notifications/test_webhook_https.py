"""The webhook over HTTPS, as production requires: a real TLS receiver on loopback with a
certificate made for the test. Delivery verifies the certificate against the host in the
URL while connecting to the address that was checked; an untrusted or misnamed
certificate is a failed delivery (retried), never a silent success."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from polls_site.notifications.webhook import WebhookFailed, post_event, verify
from tests.support.mail import Receiver, self_signed

SECRET = "whsec-https"


@pytest.fixture
def certificates(tmp_path: Path) -> dict[str, tuple[Path, Path]]:
    return {name: self_signed(tmp_path, name) for name in ("127.0.0.1", "other.example")}


@pytest.fixture
def https_receiver(certificates) -> Iterator[Receiver]:
    yield from Receiver(tls=certificates["127.0.0.1"]).serve()


@pytest.fixture
def misnamed_receiver(certificates) -> Iterator[Receiver]:
    yield from Receiver(tls=certificates["other.example"]).serve()


def _send(app, receiver: Receiver) -> int:
    app.config["NOTIFY_WEBHOOK_ALLOW_HOSTS"] = [f"127.0.0.1:{receiver.port}"]
    with app.app_context():
        return post_event({"event": "test"}, receiver.url, SECRET)


def test_a_trusted_certificate_delivers_the_signed_event(
    app, https_receiver, certificates, monkeypatch
) -> None:
    # The test's certificate stands in for a public CA's (OpenSSL reads it per context).
    monkeypatch.setenv("SSL_CERT_FILE", str(certificates["127.0.0.1"][0]))
    assert _send(app, https_receiver) == 200
    [(headers, body)] = https_receiver.requests
    assert json.loads(body) == {"event": "test"}
    assert verify(SECRET, headers["X-Polls-Timestamp"], headers["X-Polls-Signature"], body)


def test_an_untrusted_certificate_fails_the_delivery(app, https_receiver) -> None:
    with pytest.raises(WebhookFailed, match="certificate"):
        _send(app, https_receiver)
    assert https_receiver.requests == []


def test_a_certificate_for_another_name_fails_the_delivery(
    app, misnamed_receiver, certificates, monkeypatch
) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(certificates["other.example"][0]))
    with pytest.raises(WebhookFailed, match="127.0.0.1"):
        _send(app, misnamed_receiver)
    assert misnamed_receiver.requests == []
