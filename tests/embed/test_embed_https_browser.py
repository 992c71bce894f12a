"""The widget's cookie over HTTPS in a real browser: `Secure; SameSite=None; Partitioned`,
kept by Chromium inside the portal's partition even when third-party cookies are blocked
(CHIPS), so the reader keeps their one vote by cookie rather than by fingerprint.

Both sites serve HTTPS with a throwaway self-signed certificate for localhost and
127.0.0.1 (made with openssl); the browser context accepts it."""

from __future__ import annotations

import secrets
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from polls_site import create_app
from polls_site.demo.portal import create_portal_app
from polls_site.widget.voters import VOTER_COOKIE
from tests.embed.test_embed_browser import (
    ALREADY_VOTED,
    NO_COOKIES,
    OPTIONS,
    QUESTION,
    THANKS,
    block_third_party_cookies,
    serve,
    widget_frame,
)
from tests.support.app import app_config, empty_tables
from tests.support.browser import WAIT_MS
from tests.support.factories import make_poll
from tests.support.live import ballot_count, free_port

pytestmark = [pytest.mark.browser, pytest.mark.live]


@pytest.fixture(scope="module")
def tls(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    """A self-signed certificate for localhost and 127.0.0.1: (cert file, key file)."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make the test certificate")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
            "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
            "-keyout", str(key), "-out", str(cert),
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return str(cert), str(key)


@dataclass
class HttpsSites:
    """The widgets on https://localhost:W, the demo portal on https://127.0.0.1:P."""

    widgets: object
    widget_origin: str
    portal: str


@pytest.fixture
def https_sites(
    database_url: str, redis_url: str, redis_prefix: str, _schema: None, tls: tuple[str, str]
) -> Iterator[HttpsSites]:
    """Both sites over HTTPS, in threads of this process."""
    portal_port = free_port()
    config = app_config(
        database_url,
        redis_url,
        f"{redis_prefix}-tls{secrets.token_hex(3)}:",
        EMBED_ALLOWED_ORIGINS=[f"https://127.0.0.1:{portal_port}"],
    )
    widgets = create_app(config)
    try:
        with serve(widgets, tls=tls) as bound:
            widget_origin = bound.replace("127.0.0.1", "localhost")
            portal_app = create_portal_app(widget_origin)
            with serve(portal_app, portal_port, tls=tls) as portal:
                yield HttpsSites(widgets, widget_origin, portal)
    finally:
        empty_tables(widgets)


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    """A fresh profile that accepts the test certificate."""
    context = browser.new_context(ignore_https_errors=True)
    context.set_default_timeout(WAIT_MS)
    yield context
    context.close()


def voter_cookie(context: BrowserContext) -> dict:
    """The widget's voter cookie as the browser stores it."""
    [cookie] = [c for c in context.cookies() if c["name"] == VOTER_COOKIE]
    return cookie


def vote_and_come_back(sites: HttpsSites, page: Page) -> None:
    """Vote in the portal's poll iframe, then reload: recognised as having voted."""
    poll_id = make_poll(sites.widgets, OPTIONS, question=QUESTION)
    page.goto(sites.portal + "/")
    frame = widget_frame(page)
    assert frame.url.startswith(sites.widget_origin + "/w/poll/")
    frame.get_by_label("Да").check()
    frame.get_by_role("button", name="Голосовать").click()
    expect(frame.locator("#poll .notice-success")).to_have_text(THANKS)
    # The cookie was kept, so the reader is not told about the fingerprint fallback.
    expect(frame.locator("#poll .notice-info")).to_have_count(0)
    page.reload()
    frame = widget_frame(page)
    expect(frame.locator("#poll .notice-info")).to_have_text(ALREADY_VOTED)
    assert NO_COOKIES not in frame.content()
    assert ballot_count(sites.widgets, poll_id) == 1


def assert_partitioned_for_the_portal(cookie: dict, sites: HttpsSites) -> None:
    assert cookie["domain"] == "localhost"
    assert cookie["secure"] is True and cookie["httpOnly"] is True
    assert cookie["sameSite"] == "None"
    # Kept in the portal's partition: another top-level site would not see it.
    assert cookie.get("partitionKey") == "https://127.0.0.1"


def test_https_widget_cookie_is_secure_samesite_none_and_partitioned(
    https_sites: HttpsSites, context: BrowserContext, page: Page
) -> None:
    vote_and_come_back(https_sites, page)
    assert_partitioned_for_the_portal(voter_cookie(context), https_sites)


def test_partitioned_cookie_survives_blocked_third_party_cookies(
    https_sites: HttpsSites, context: BrowserContext, page: Page
) -> None:
    block_third_party_cookies(page)
    vote_and_come_back(https_sites, page)
    assert_partitioned_for_the_portal(voter_cookie(context), https_sites)
