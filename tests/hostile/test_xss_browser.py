"""Every XSS vector of both corpora, stored in every text field that is ever rendered,
loaded in Chromium: no dialog opens and the ``window.__xss`` sentinel stays 0.

The fields: comment text and author name (widget, thread and site feeds, staff queue
and published list, privacy search), thread title (widget, feeds, staff), poll question
and options (widget form and results, JSON API), staff reasons (the moderator's reason,
the auto-moderator's reason details, the audit log) and word-list patterns. The pages'
Content-Security-Policy is removed on the way to the browser, so what is tested is the
escaping itself, not the CSP standing in for it. Vectors go in batches per page (20
comments per widget page, 50 per staff page, ten poll texts per poll).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, Page

from polls_site.comments.render import render_comment_html
from polls_site.core.db import db
from polls_site.models import (
    AuditEntry,
    Comment,
    CommentStatus,
    ModerationWord,
    Option,
    Poll,
    PollStatus,
    Role,
    Thread,
)
from tests.hostile.test_render_safety import parse
from tests.support.factories import PASSWORD, make_staff
from tests.support.live import LiveServer

pytestmark = [pytest.mark.browser, pytest.mark.live, pytest.mark.slow]

DATA = Path(__file__).parent / "data"
CORPORA = ("xss_vectors.txt", "xss_vectors_more.txt")

SENTINEL = """
window.__xss = 0;
for (const name of ["alert", "confirm", "prompt", "print"]) {
  const original = window[name];
  window[name] = function (...args) { window.__xss += 1; return original.apply(this, args); };
}
"""
SETTLE = "() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))"


def load_corpus(name: str) -> list[str]:
    """Vectors of one corpus file ("~" lines carry Python escapes)."""
    vectors = []
    for line in (DATA / name).read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        if line.startswith("~"):
            line = line[1:].encode("ascii").decode("unicode_escape")
        vectors.append(line)
    return vectors


VECTORS = list(dict.fromkeys(v for name in CORPORA for v in load_corpus(name)))


def chunks(items: list[str], size: int) -> list[list[str]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


def fit(text: str, length: int) -> str:
    """The vector cut to a column's length (PostgreSQL refuses longer values)."""
    return text.replace("\x00", "")[:length]


def test_the_corpora_hold_at_least_500_distinct_vectors() -> None:
    assert len(VECTORS) >= 500
    more = load_corpus("xss_vectors_more.txt")
    assert len(set(more)) == len(more), "a vector is listed twice"


def test_the_extra_corpus_renders_as_text_only() -> None:
    # The structural check of tests/test_render_safety.py, for the second file.
    for vector in load_corpus("xss_vectors_more.txt"):
        html = render_comment_html(vector)
        markup = parse(html)
        assert markup.other == [], html
        for tag, attrs in markup.tags:
            assert tag in {"p", "br", "a"}, html
            assert {name for name, _ in attrs} <= {"href", "target", "rel"}, html
            if tag == "a":
                assert urlsplit(dict(attrs)["href"]).scheme in {"http", "https"}, html


class XssBrowser:
    """A page that counts dialogs and sentinel hits, with CSP stripped from documents."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.dialogs: list[str] = []
        self.loaded = 0
        page.on("dialog", self._dialog)
        page.add_init_script(SENTINEL)
        page.route("**/*", self._route)

    def _dialog(self, dialog) -> None:
        self.dialogs.append(f"{dialog.type}: {dialog.message} on {self.page.url}")
        dialog.dismiss()

    def _route(self, route) -> None:
        if route.request.resource_type != "document" or "/static/" in route.request.url:
            route.continue_()
            return
        response = route.fetch()
        headers = {
            k: v for k, v in response.headers.items() if k.lower() != "content-security-policy"
        }
        route.fulfill(response=response, headers=headers)

    def visit(self, url: str) -> None:
        """Load ``url``, let two frames render, and check nothing ran."""
        reply = self.page.goto(url, wait_until="load")
        assert reply is not None and reply.status < 500, (url, reply and reply.status)
        self.page.evaluate(SETTLE)
        self.loaded += 1
        hits = self.page.evaluate("window.__xss")
        assert hits == 0, f"a payload ran on {url}"
        assert self.dialogs == []


@pytest.fixture
def xss(browser: Browser) -> Iterator[XssBrowser]:
    context = browser.new_context(java_script_enabled=True)
    context.set_default_timeout(15_000)
    yield XssBrowser(context.new_page())
    context.close()


def store_threads(app, status: CommentStatus, per_thread: int) -> list[str]:
    """One thread per batch of vectors (its title a vector), each vector a comment's text
    and another's author name; returns the thread keys."""
    keys = []
    with app.app_context():
        for n, batch in enumerate(chunks(VECTORS, per_thread)):
            thread = Thread(key=f"xss-{status}-{n}", title=fit(batch[0], 300), url="")
            db.session.add(thread)
            db.session.flush()
            for i, vector in enumerate(batch):
                text = fit(vector, 100_000)  # as the form leaves it: no NUL
                db.session.add(
                    Comment(
                        thread_id=thread.id,
                        author_name=fit(batch[-1 - i], 80),
                        text=text,
                        html=render_comment_html(text),
                        status=status,
                        voter_key=f"c:xss-{n}-{i}",
                        ip_hash="x",
                        reasons=[
                            {"rule": "banned_word", "score": 100, "detail": text, "spans": []}
                        ],
                        decision_reason=fit(vector, 300),
                    )
                )
            if status == CommentStatus.APPROVED:
                thread.comment_count = len(batch)
            keys.append(thread.key)
        db.session.commit()
    return keys


def log_in(xss: XssBrowser, server: LiveServer, role: Role = Role.ADMIN) -> None:
    make_staff(server.app, "xss-admin", role)
    page = xss.page
    page.goto(server.url("/staff/login"))
    page.fill("input[name=username]", "xss-admin")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/staff/**")


def test_comments_names_and_titles_in_the_widget_and_feeds(live_factory, xss) -> None:
    server = live_factory()
    keys = store_threads(server.app, CommentStatus.APPROVED, per_thread=20)
    for key in keys:
        xss.visit(server.url(f"/w/comments/{key}"))
        xss.visit(server.url(f"/w/comments/{key}/-/feed.atom"))
    xss.visit(server.url("/w/comments/-/feed.atom"))
    assert xss.loaded == 2 * len(keys) + 1


def test_comments_reasons_and_titles_in_the_staff_area(live_factory, xss) -> None:
    server = live_factory()
    store_threads(server.app, CommentStatus.REVIEW, per_thread=50)
    with server.app.app_context():
        for vector in VECTORS:
            db.session.add(
                AuditEntry(
                    staff_id=None,
                    staff_name="xss",
                    action="comment.reject",
                    target_type="comment",
                    target_id="1",
                    reason=fit(vector, 100_000),
                )
            )
        for vector in VECTORS[:200]:
            db.session.add(ModerationWord(kind="suspect", pattern=fit(vector, 100)))
        db.session.commit()
    log_in(xss, server)
    pages = (len(VECTORS) + 49) // 50
    for number in range(1, pages + 1):
        xss.visit(server.url(f"/staff/queue?page={number}"))
    for number in range(1, (len(VECTORS) + 99) // 100 + 1):
        xss.visit(server.url(f"/staff/audit?page={number}"))
    xss.visit(server.url("/staff/words"))
    xss.visit(server.url("/staff/privacy?voter_key=c:xss-0-0"))
    assert xss.loaded >= pages + 3


def test_approved_comments_in_the_staff_published_list(live_factory, xss) -> None:
    server = live_factory()
    store_threads(server.app, CommentStatus.APPROVED, per_thread=50)
    log_in(xss, server, Role.MODERATOR)
    for number in range(1, (len(VECTORS) + 49) // 50 + 1):
        xss.visit(server.url(f"/staff/comments?page={number}"))


def test_poll_questions_and_options_in_the_widget_and_api(live_factory, xss) -> None:
    server = live_factory()
    ids = []
    with server.app.app_context():
        for batch in chunks(VECTORS, 10):
            poll = Poll(question=fit(batch[0], 500), status=PollStatus.OPEN)
            texts = batch[1:] or ["—"]
            poll.options = [Option(text=fit(t, 300), position=i) for i, t in enumerate(texts)]
            db.session.add(poll)
            db.session.flush()
            ids.append(poll.id)
        db.session.commit()
    for poll_id in ids:
        xss.visit(server.url(f"/w/poll/{poll_id}"))
        xss.visit(server.url(f"/w/poll/{poll_id}?view=results"))
    reply = xss.page.goto(server.url("/api/polls"))
    assert reply.headers["content-type"].startswith("application/json")
    assert xss.page.evaluate("window.__xss") == 0


def test_the_oracle_sees_a_payload_that_runs(xss) -> None:
    page = "<img src=x onerror=window.__xss=1><script>alert(1)</script>"
    xss.page.route(
        "http://oracle.test/", lambda route: route.fulfill(body=page, content_type="text/html")
    )
    with pytest.raises(AssertionError, match="a payload ran"):
        xss.visit("http://oracle.test/")
    assert xss.dialogs == ["alert: 1 on http://oracle.test/"]
