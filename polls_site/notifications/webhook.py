"""The moderators' webhook: signed JSON POSTs that refuse to reach private networks.

Signature (README "Notifications"): ``X-Polls-Timestamp`` is the Unix time of sending and
``X-Polls-Signature`` is ``sha256=`` + hex HMAC-SHA256 of ``"<timestamp>.<body>"`` under
NOTIFY_WEBHOOK_SECRET. A receiver recomputes it over the raw body, compares in constant
time and refuses timestamps more than SIGNATURE_TOLERANCE seconds away (replays).
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import ipaddress
import json
import socket
import ssl
import time
from typing import Any
from urllib.parse import urlsplit

from flask import current_app

SIGNATURE_TOLERANCE = 300
TIMEOUT = 10


class WebhookRefused(ValueError):
    """The URL may not be called: bad scheme, or an address inside a private network."""


class WebhookFailed(RuntimeError):
    """The receiver did not answer 2xx (the job is retried)."""


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The ``X-Polls-Signature`` value of ``body`` sent at ``timestamp``."""
    mac = hmac.new(secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def verify(
    secret: str, timestamp: str, signature: str, body: bytes, now: float | None = None
) -> bool:
    """What a receiver does: True for a fresh timestamp and a matching signature."""
    try:
        sent = int(timestamp)
    except ValueError:
        return False
    if abs((now if now is not None else time.time()) - sent) > SIGNATURE_TOLERANCE:
        return False
    return hmac.compare_digest(sign(secret, sent, body), signature)


def _public(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def resolve_target(url: str, allow_hosts: list[str]) -> tuple[str, str, int, str]:
    """(scheme, host, port, address to connect to) of a webhook URL, or WebhookRefused.

    Every address the name resolves to must be public (a name that also resolves to
    127.0.0.1 is refused, not retried on the good one), unless host or host:port is in
    ``allow_hosts``. The connection then goes to the address that was checked, so a
    second lookup cannot swap it (DNS rebinding).
    """
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise WebhookRefused(f"not an http(s) URL: {url!r}")
    host = parts.hostname
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise WebhookRefused(f"{host} does not resolve: {exc}") from exc
    addresses = [info[4][0] for info in infos]
    allowed = host in allow_hosts or f"{host}:{port}" in allow_hosts
    if not allowed:
        private = [a for a in addresses if not _public(a)]
        if private:
            raise WebhookRefused(f"{host} resolves to a non-public address ({private[0]})")
    return parts.scheme, host, port, addresses[0]


def _connection(scheme: str, host: str, port: int, address: str) -> http.client.HTTPConnection:
    sock = socket.create_connection((address, port), timeout=TIMEOUT)
    if scheme == "https":
        context = ssl.create_default_context()
        sock = context.wrap_socket(sock, server_hostname=host)
        conn: http.client.HTTPConnection = http.client.HTTPSConnection(host, port, timeout=TIMEOUT)
    else:
        conn = http.client.HTTPConnection(host, port, timeout=TIMEOUT)
    conn.sock = sock
    return conn


def post_event(event: dict[str, Any], url: str, secret: str) -> int:
    """POST ``event`` to ``url``, signed with ``secret``; returns the status (2xx), else raises.

    Redirects are not followed (a 3xx is a failure): a public URL must not bounce the
    request into the private network.
    """
    allow_hosts = current_app.config["NOTIFY_WEBHOOK_ALLOW_HOSTS"]
    scheme, host, port, address = resolve_target(url, allow_hosts)
    body = json.dumps(event, ensure_ascii=False, sort_keys=True).encode()
    timestamp = int(time.time())
    parts = urlsplit(url)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    conn = None
    try:
        # A refused connection or a certificate that does not verify is a failed delivery
        # (retried, then shown in /staff/jobs) like a bad status.
        conn = _connection(scheme, host, port, address)
        conn.request(
            "POST",
            path,
            body=body,
            headers={
                "Content-Type": "application/json; charset=utf-8",
                "User-Agent": "polls-site-webhook/1",
                "X-Polls-Event": event["event"],
                "X-Polls-Timestamp": str(timestamp),
                "X-Polls-Signature": sign(secret, timestamp, body),
            },
        )
        response = conn.getresponse()
        response.read(65536)
    except OSError as exc:
        raise WebhookFailed(f"webhook {host}: {exc}") from exc
    finally:
        if conn is not None:
            conn.close()
    if not 200 <= response.status < 300:
        raise WebhookFailed(f"webhook {host} answered {response.status}")
    return response.status
