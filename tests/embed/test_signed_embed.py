"""Signed embed parameters: with a secret for the portal's origin, only a view the portal
signed sets or corrects a thread's title and URL (thread squatting refused); without one,
threads open as before."""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from polls_site import create_app
from polls_site.comments.signing import Claim, embed_message, embed_signature, judge, secrets_for
from polls_site.comments.threads import correct_thread, find_thread, thread_version
from polls_site.config import parse_signing_keys
from polls_site.core.db import db
from polls_site.demo.portal import embed_signature as portal_signature
from polls_site.models import Thread
from tests.support.app import app_config, empty_tables
from tests.support.comments import PORTAL
from tests.support.factories import KEY, make_thread

SECRET = "portal-secret-0123456789abcdef"
OLD_SECRET = "portal-secret-of-last-year-0000"
TITLE = "Бишкек – Астана: стратегический диалог"
URL = f"{PORTAL}/news/bishkek-astana.html"
FRAMED = {"Referer": f"{PORTAL}/news/bishkek-astana.html"}
DOC = Path(__file__).resolve().parents[2] / "docs" / "embedding.md"


@pytest.fixture
def signed_app(database_url, redis_url, redis_prefix, _schema) -> Iterator[Flask]:
    """The app with secrets for the demo portal's origin: the new one and the old one."""
    keys = f"{PORTAL}={SECRET},{PORTAL}={OLD_SECRET}"
    # A prefix per test: a thread id comes back after the tables are emptied (SQLite), and
    # the cached pages of the last test's thread must not answer for this one's.
    prefix = f"{redis_prefix}-sign{secrets.token_hex(3)}:"
    app = create_app(app_config(database_url, redis_url, prefix, EMBED_SIGNING_KEYS=keys))
    yield app
    empty_tables(app)


def view(client: FlaskClient, title: str = TITLE, url: str = URL, sig: str | None = None):
    """The iframe's first request, as embed.js makes it from the portal's snippet."""
    query = {"title": title, "url": url}
    if sig is not None:
        query["sig"] = sig
    return client.get(f"/w/comments/{KEY}", query_string=query, headers=FRAMED)


def stored(app: Flask, key: str = KEY) -> tuple[str, str] | None:
    with app.app_context():
        row = db.session.execute(
            sa.select(Thread.title, Thread.url).where(Thread.key == key)
        ).first()
        db.session.remove()
    return tuple(row) if row is not None else None


def page_title(response) -> str:
    return re.search(r"<title>(.*?)</title>", response.get_data(as_text=True), re.S).group(1)


def test_an_unsigned_first_view_opens_the_thread_without_title_or_url(signed_app: Flask) -> None:
    """The squatter's forged first view: readers get the thread, the forgery is not kept."""
    response = view(signed_app.test_client(), "Подделка", f"{PORTAL}/fake.html")
    assert response.status_code == 200
    assert "Комментариев пока нет" in response.get_data(as_text=True)
    assert stored(signed_app) == ("", "")


def test_a_forged_signature_is_refused(signed_app: Flask, caplog) -> None:
    client = signed_app.test_client()
    signed_for_the_real_title = embed_signature(SECRET, KEY, TITLE, URL)
    with caplog.at_level(logging.WARNING, logger="polls_site.comments.access"):
        assert view(client, "Подделка", URL, signed_for_the_real_title).status_code == 200
        assert view(client, TITLE, URL, embed_signature("a-guessed-secret-000", KEY, TITLE, URL))
    assert stored(signed_app) == ("", "")
    assert any("signature refused" in r.getMessage() for r in caplog.records)
    # Nor does one change a thread that a signed view set.
    assert view(client, sig=signed_for_the_real_title).status_code == 200
    view(client, "Подделка", URL, signed_for_the_real_title)
    assert stored(signed_app) == (TITLE, URL)


def test_a_signed_first_view_creates_the_thread_with_its_title_and_url(signed_app: Flask) -> None:
    response = view(signed_app.test_client(), sig=embed_signature(SECRET, KEY, TITLE, URL))
    assert response.status_code == 200
    assert stored(signed_app) == (TITLE, URL)
    assert TITLE in page_title(response)


def test_a_later_signed_view_corrects_a_squatted_thread(signed_app: Flask) -> None:
    """A thread squatted before the portal signed (or from an origin without a secret) is
    put right by the next signed view, and readers' cached pages show the new title."""
    make_thread(signed_app, KEY, title="Подделка", url="http://localhost:8001/fake")
    client = signed_app.test_client()
    assert "Подделка" in page_title(view(client))
    response = view(client, sig=embed_signature(SECRET, KEY, TITLE, URL))
    assert stored(signed_app) == (TITLE, URL)
    assert TITLE in page_title(response)
    # The next reader of the shared (cached) page sees it too.
    assert TITLE in page_title(client.get(f"/w/comments/{KEY}"))
    # The portal renamed the article: its next signed view renames the thread.
    renamed = f"{TITLE} (обновлено)"
    view(client, renamed, URL, embed_signature(SECRET, KEY, renamed, URL))
    assert stored(signed_app) == (renamed, URL)


def test_a_correction_brought_twice_bumps_the_version_once(signed_app: Flask) -> None:
    """Two processes whose cached copy is the old thread both correct it: one write counts."""
    make_thread(signed_app, KEY, title="Подделка")
    with signed_app.test_request_context():
        stale = find_thread(KEY)
        before = thread_version(stale.id)
        assert correct_thread(stale, TITLE, URL) == correct_thread(stale, TITLE, URL)
        assert int(thread_version(stale.id)) == int(before) + 1
    assert stored(signed_app) == (TITLE, URL)


def test_an_unsigned_view_never_changes_a_thread(signed_app: Flask) -> None:
    client = signed_app.test_client()
    view(client, sig=embed_signature(SECRET, KEY, TITLE, URL))
    view(client, "Подделка", f"{PORTAL}/fake.html")
    client.get(f"/w/comments/{KEY}", query_string={"title": "Подделка"}, headers=FRAMED)
    assert stored(signed_app) == (TITLE, URL)


def test_the_old_secret_still_signs_during_a_rotation(signed_app: Flask) -> None:
    view(signed_app.test_client(), sig=embed_signature(OLD_SECRET, KEY, TITLE, URL).upper())
    assert stored(signed_app) == (TITLE, URL)


def test_a_view_without_url_is_signed_with_the_framing_origins_secret(signed_app: Flask) -> None:
    client = signed_app.test_client()
    view(client, url="")
    assert stored(signed_app) == ("", "")
    view(client, url="", sig=embed_signature(SECRET, KEY, TITLE, ""))
    assert stored(signed_app) == (TITLE, "")


@pytest.mark.parametrize(
    "sig",
    [
        "zz" * 32,  # not hex
        "a" * 100_000,  # huge
        "я" * 64,  # 64 characters, not ASCII
        "\x00" * 64,
        "",
        "0" * 63,
    ],
)
def test_a_malformed_signature_is_a_missing_one(signed_app: Flask, sig: str) -> None:
    response = view(signed_app.test_client(), sig=sig)
    assert response.status_code == 200
    assert stored(signed_app) == ("", "")


def test_without_secrets_threads_open_as_before(app: Flask, client: FlaskClient) -> None:
    """No EMBED_SIGNING_KEYS: the first view sets title and URL, a signature is ignored,
    and later views change nothing."""
    assert app.config["EMBED_SIGNING_KEYS"] == {}
    view(client, sig="not even hex")
    assert stored(app) == (TITLE, URL)
    view(client, "Другое", URL, embed_signature(SECRET, KEY, "Другое", URL))
    assert stored(app) == (TITLE, URL)


def test_the_message_is_length_prefixed_utf8() -> None:
    assert embed_message("a", "Б:1", "") == "1:a4:Б:10:".encode()
    # Moving text between fields changes the message: no two views share a signature.
    assert embed_message("a", "b1:c", "") != embed_message("a", "b", "c")


def test_the_documented_examples_compute_the_same_signature() -> None:
    """docs/embedding.md's Python code and the demo portal sign as the app checks."""
    code = re.search(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S).group(1)
    namespace: dict = {}
    exec(code, namespace)  # the documentation's own example, run as a portal would
    expected = embed_signature(SECRET, KEY, TITLE, URL)
    assert namespace["embed_signature"](SECRET, KEY, TITLE, URL) == expected
    assert portal_signature(SECRET, KEY, TITLE, URL) == expected
    worked = re.search(r"signature `([0-9a-f]{64})`", DOC.read_text(encoding="utf-8")).group(1)
    example = (
        "bishkek-astana-dialog",
        "Бишкек – Астана: стратегический диалог",
        "https://portal.kg/news/bishkek-astana",
    )
    assert embed_signature("example-secret-not-for-production", *example) == worked


def test_judge_and_the_secrets_that_apply() -> None:
    keys = {"https://portal.kg": ("s1",)}
    assert secrets_for(keys, "https://portal.kg/a", "https://other.kg") == ("s1",)
    assert secrets_for(keys, "", "https://portal.kg") == ("s1",)
    assert secrets_for(keys, "https://other.kg/a", "https://portal.kg") == ()
    assert secrets_for(keys, "javascript:alert(1)", "https://portal.kg") == ()
    assert judge((), KEY, TITLE, URL, "") is Claim.OPEN
    assert judge(("s1",), KEY, TITLE, URL, "") is Claim.REFUSED
    assert judge(("s1",), KEY, TITLE, URL, embed_signature("s1", KEY, TITLE, URL)) is Claim.SIGNED


def test_signing_keys_setting() -> None:
    allowed = ["https://portal.kg", "https://m.portal.kg"]
    base64 = "c2VjcmV0LWluLWJhc2U2NC0hIQ=="  # its "=" are the secret's, not separators
    value = (
        f"https://portal.kg={SECRET}, https://portal.kg/={OLD_SECRET},HTTPS://M.portal.kg={base64}"
    )
    assert parse_signing_keys(value, allowed) == {
        "https://portal.kg": (SECRET, OLD_SECRET),
        "https://m.portal.kg": (base64,),
    }
    assert parse_signing_keys({"https://portal.kg": [SECRET]}, allowed) == {
        "https://portal.kg": (SECRET,)
    }
    assert parse_signing_keys("", allowed) == {}


@pytest.mark.parametrize(
    ("value", "says"),
    [
        (f"portal.kg={SECRET}", "not an origin"),
        (f"https://portal.kg/news={SECRET}", "not an origin"),
        (SECRET, "not an origin"),
        (f"https://evil.example={SECRET}", "not in EMBED_ALLOWED_ORIGINS"),
        ("https://portal.kg=short", "at least 16"),
        ("https://portal.kg=", "at least 16"),
    ],
)
def test_a_wrong_signing_keys_setting_stops_the_start(value: str, says: str) -> None:
    with pytest.raises(ValueError, match=says):
        parse_signing_keys(value, ["https://portal.kg"])
