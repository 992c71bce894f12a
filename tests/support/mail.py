"""Real delivery targets on loopback: an SMTP server (aiosmtpd) and an HTTP receiver."""

from __future__ import annotations

import email
import email.policy
import ssl
import subprocess
import threading
import time
from collections.abc import Iterator
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from tests.support.live import free_port

WAIT_SECONDS = 30


def wait_for(condition, timeout: float = WAIT_SECONDS, what: str = "condition"):
    """Poll ``condition`` until it returns something truthy; fail after ``timeout``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


class Mailbox:
    """What the SMTP server received, parsed."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 (aiosmtpd API)
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.lock:
            self.messages.append(message)
        return "250 OK"

    def to(self, address: str) -> list[EmailMessage]:
        """The messages to ``address``, in order of arrival."""
        with self.lock:
            return [m for m in self.messages if m["To"] == address]


class SMTPServer:
    """A running aiosmtpd server and its mailbox."""

    def __init__(self) -> None:
        self.port = free_port()
        self.mailbox = Mailbox()
        self.controller = Controller(self.mailbox, hostname="127.0.0.1", port=self.port)


@pytest.fixture
def smtp_server() -> Iterator[SMTPServer]:
    """A real SMTP server on a free loopback port."""
    server = SMTPServer()
    server.controller.start()
    yield server
    server.controller.stop()


class Receiver:
    """A webhook receiver: records each request, answers ``status``."""

    def __init__(self, tls: tuple[Path, Path] | None = None) -> None:
        self.requests: list[tuple[dict[str, str], bytes]] = []
        self.status = 200
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server API)
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                receiver.requests.append((dict(self.headers.items()), body))
                self.send_response(receiver.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/hook"
        if tls is not None:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(*tls)
            self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
            self.url = f"https://127.0.0.1:{self.port}/hook"

    def serve(self) -> Iterator[Receiver]:
        """Serve in a thread until the generator is closed (a fixture's body)."""
        thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        thread.start()
        yield self
        self.server.shutdown()
        self.server.server_close()


def self_signed(directory: Path, name: str) -> tuple[Path, Path]:
    """A certificate for ``name`` (a host name or an IP address) and its key, made by the
    openssl tool."""
    cert, key = directory / f"{name}.pem", directory / f"{name}.key"
    kind = "IP" if name.replace(".", "").isdecimal() else "DNS"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"]
        + ["-nodes", "-days", "1", "-subj", f"/CN={name}", "-keyout", str(key), "-out", str(cert)]
        + ["-addext", f"subjectAltName={kind}:{name}"],
        check=True,
        capture_output=True,
    )
    return cert, key


@pytest.fixture
def webhook_receiver() -> Iterator[Receiver]:
    """A real HTTP server on loopback that records webhook deliveries."""
    yield from Receiver().serve()
