"""Hostile sizes: bodies, form fields and parts past the limits are refused with a 413 in
Russian before they are read into memory, and nothing is written."""

from __future__ import annotations

import socket
import time

import pytest
from flask import Flask

from tests.support.comments import PORTAL, Commenting, comment_rows
from tests.support.factories import KEY, make_poll, make_thread

TOO_LARGE = "Слишком большой запрос"


@pytest.fixture
def thread(app: Flask) -> str:
    make_thread(app)
    return KEY


def test_a_huge_comment_body_is_refused_and_nothing_is_stored(app, reader: Commenting, thread):
    huge = "а" * (2 * 1024 * 1024)  # 2 MiB of text, 4 MiB once encoded
    response = reader.post(thread, text=huge)
    assert response.status_code == 413
    assert TOO_LARGE in response.get_data(as_text=True)
    assert comment_rows(app) == []


@pytest.mark.parametrize("htmx", [True, False])
def test_the_refusal_is_a_fragment_for_htmx_and_a_page_without(app, client, htmx) -> None:
    poll_id = make_poll(app)
    headers = {"HX-Request": "true"} if htmx else {}
    response = client.post(
        f"/w/poll/{poll_id}/vote",
        data={"option": "1", "pad": "x" * (1024 * 1024 + 1)},
        headers=headers,
    )
    assert response.status_code == 413
    body = response.get_data(as_text=True)
    assert TOO_LARGE in body
    assert ("<html" in body) is not htmx


def test_too_many_fields_are_refused(app, reader: Commenting, thread) -> None:
    fields = {f"f{i}": "1" for i in range(app.config["MAX_FORM_PARTS"] + 1)}
    response = reader.post(thread, **fields)
    assert response.status_code == 413
    assert comment_rows(app) == []


def test_a_multipart_body_of_many_small_parts_is_refused(app, client, thread) -> None:
    parts = {f"f{i}": "x" for i in range(app.config["MAX_FORM_PARTS"] + 1)}
    response = client.post(f"/w/comments/{thread}", data=parts, content_type="multipart/form-data")
    assert response.status_code == 413


def test_form_memory_past_the_limit_is_refused_under_the_body_limit(app, reader, thread):
    # Below MAX_CONTENT_LENGTH (1 MiB) but above MAX_FORM_MEMORY_SIZE (512 KiB).
    response = reader.post(thread, text="x" * 600_000)
    assert response.status_code == 413
    assert comment_rows(app) == []


@pytest.mark.live
def test_gunicorn_refuses_a_300_megabyte_body_without_reading_it(live_server) -> None:
    """What the review sent: the answer comes at once, from the Content-Length alone."""
    make_thread(live_server.app)
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", live_server.port), timeout=10) as sock:
        sock.sendall(
            (
                f"POST /w/comments/{KEY} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                f"Referer: {PORTAL}/news/1.html\r\n"
                "Content-Type: application/x-www-form-urlencoded\r\n"
                f"Content-Length: {300 * 1024 * 1024}\r\n\r\n"
                "text=" + "a" * 65536
            ).encode()
        )
        received = b""
        while b"</html>" not in received:  # the whole error page, however it is split
            chunk = sock.recv(65536)
            if not chunk:
                break
            received += chunk
    reply = received.decode("utf-8", "replace")
    assert reply.startswith("HTTP/1.1 413"), reply[:200]
    assert TOO_LARGE in reply
    assert time.monotonic() - started < 5
