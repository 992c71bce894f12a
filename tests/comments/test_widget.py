"""Reading a thread: who may open one, the list, replies, sorting, pages, the new-comments
notice, the cache, and that names and texts never become markup."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import timedelta
from html.parser import HTMLParser

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event

from polls_site.comments.screens import list_cache_key
from polls_site.comments.status import change_status, thread_changed
from polls_site.core.db import db
from polls_site.core.redis import redis_client
from polls_site.models import Comment, CommentStatus, Thread, utcnow
from tests.support.comments import PORTAL, Commenting
from tests.support.factories import KEY, make_comment, make_thread

HX = {"HX-Request": "true"}


def thread_keys(app: Flask) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(sa.select(Thread.key)))


def test_first_view_from_the_portal_creates_the_thread(app: Flask, client: FlaskClient) -> None:
    response = client.get(
        f"/w/comments/{KEY}",
        query_string={"title": "Бишкек – Астана", "url": f"{PORTAL}/news/1.html"},
        headers={"Referer": f"{PORTAL}/news/1.html"},
    )
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Комментариев пока нет. Будьте первым!" in page
    assert '<textarea id="comment-text" name="text"' in page
    assert 'name="name"' in page and 'method="post"' in page
    with app.app_context():
        thread = db.session.scalar(sa.select(Thread))
        assert (thread.key, thread.title, thread.url) == (
            KEY,
            "Бишкек – Астана",
            f"{PORTAL}/news/1.html",
        )
    # A NUL in the portal's title or URL is dropped (PostgreSQL could not store it).
    other = client.get(
        "/w/comments/other",
        query_string={"title": "А\x00Б", "url": f"{PORTAL}/x\x00"},
        headers={"Referer": PORTAL + "/"},
    )
    assert other.status_code == 200
    with app.app_context():
        thread = db.session.scalar(sa.select(Thread).where(Thread.key == "other"))
        assert (thread.title, thread.url) == ("АБ", f"{PORTAL}/x")
    # A second view finds it and creates nothing more.
    assert client.get(f"/w/comments/{KEY}", headers={"Referer": PORTAL + "/"}).status_code == 200
    assert sorted(thread_keys(app)) == [KEY, "other"]


@pytest.mark.parametrize(
    "headers, url",
    [
        ({}, None),
        ({"Referer": "https://evil.example/page"}, None),
        ({"Origin": "https://evil.example"}, None),
        ({"Referer": f"{PORTAL}/news/1.html"}, "https://evil.example/fake"),
        ({"Referer": f"{PORTAL}/news/1.html"}, "javascript:alert(1)"),
    ],
)
def test_unknown_site_cannot_create_a_thread(
    app: Flask, client: FlaskClient, headers: dict, url: str | None
) -> None:
    query = {"url": url} if url else {}
    response = client.get(f"/w/comments/{KEY}", query_string=query, headers=headers)
    assert response.status_code == 400
    assert "Обсуждение открывается только со страницы статьи" in response.get_data(as_text=True)
    assert thread_keys(app) == []


def test_new_threads_per_ip_are_limited(app: Flask, client: FlaskClient) -> None:
    app.config["THREAD_OPEN_LIMIT_IP"] = "3/3600"
    referer = {"Referer": f"{PORTAL}/news/1.html"}
    codes = [client.get(f"/w/comments/a-{i}", headers=referer).status_code for i in range(4)]
    assert codes == [200, 200, 200, 429]
    assert sorted(thread_keys(app)) == ["a-0", "a-1", "a-2"]
    refused = client.get("/w/comments/a-9", headers=referer)
    assert 0 < int(refused.headers["Retry-After"]) <= 3600
    assert "Слишком много новых обсуждений" in refused.get_data(as_text=True)
    # Threads that exist are still served.
    assert client.get("/w/comments/a-0").status_code == 200


@pytest.mark.parametrize("key", ["Bad-Key", "a//b", "x" * 201, "статья", "a%20b", ".env"])
def test_malformed_key_is_refused(app: Flask, client: FlaskClient, key: str) -> None:
    response = client.get(f"/w/comments/{key}", headers={"Referer": PORTAL + "/"})
    assert response.status_code == 400
    assert "Неверный адрес обсуждения" in response.get_data(as_text=True)
    assert thread_keys(app) == []


def test_existing_thread_is_served_to_anyone(app: Flask, client: FlaskClient) -> None:
    make_thread(app)
    assert client.get(f"/w/comments/{KEY}").status_code == 200


def test_unknown_thread_sub_pages_are_404(client: FlaskClient) -> None:
    assert client.get(f"/w/comments/{KEY}/-/updates?v=1", headers=HX).status_code == 404
    assert client.get(f"/w/comments/{KEY}/-/feed.atom").status_code == 404


def test_replies_two_levels_with_reply_to(app: Flask, reader: Commenting) -> None:
    thread_id = make_thread(app)
    root = make_comment(app, "Корень", thread=thread_id, author_name="Айгуль")
    reply = make_comment(app, "Ответ", thread=thread_id, author_name="Бек", parent_id=root)
    make_comment(app, "Ответ на ответ", thread=thread_id, author_name="Вера", parent_id=reply)
    page = reader.open().get_data(as_text=True)
    replies = page.split('class="replies"')[1]
    assert "Бек" in replies and "Вера" in replies
    assert "в ответ: Бек" in replies
    # A direct reply to the root needs no marker.
    assert "ответ: Айгуль" not in page and "для Айгуль" not in page
    assert 'Комментарии <span class="count">[3]</span>' in page
    # The site's one date format, the site's zone named for readers without the script.
    shown = r'<time datetime="[0-9T:-]+Z" data-local-time>\d+ \w+ 20\d\d, \d\d:\d\d \(Алматы\)<'
    assert re.search(shown, page)


def test_only_approved_comments_are_listed(app: Flask, reader: Commenting) -> None:
    thread_id = make_thread(app)
    for status in CommentStatus:
        make_comment(app, f"текст-{status.value}", thread=thread_id, status=status)
    page = reader.open().get_data(as_text=True)
    assert "текст-approved" in page
    for status in CommentStatus:
        if status != CommentStatus.APPROVED:
            assert f"текст-{status.value}" not in page


def ids_in(html: str) -> list[int]:
    return [int(x) for x in re.findall(r'<div id="comment-(\d+)"', html)]


def test_sorts(app: Flask, reader: Commenting) -> None:
    thread_id = make_thread(app)
    a = make_comment(app, "a", thread=thread_id, likes=1)
    b = make_comment(app, "b", thread=thread_id, likes=7)
    c = make_comment(app, "c", thread=thread_id, likes=0)
    assert ids_in(reader.open().get_data(as_text=True)) == [c, b, a]
    assert ids_in(reader.open(sort="old").get_data(as_text=True)) == [a, b, c]
    best = reader.client.get(f"/w/comments/{KEY}?sort=best", headers=HX)
    assert ids_in(best.get_data(as_text=True)) == [b, a, c]
    assert best.get_data(as_text=True).startswith('<section id="comment-list"')


def test_show_more_by_htmx_and_by_plain_links(app: Flask, reader: Commenting) -> None:
    thread_id = make_thread(app)
    ids = [make_comment(app, f"№{i}", thread=thread_id) for i in range(45)]
    newest_first = list(reversed(ids))
    page = reader.open().get_data(as_text=True)
    assert ids_in(page) == newest_first[:20]
    assert "Показать ещё" in page
    assert f'href="/w/comments/{KEY}?sort=new&amp;offset=20"' in page

    more = reader.client.get(f"/w/comments/{KEY}?sort=new&offset=20", headers=HX)
    fragment = more.get_data(as_text=True)
    assert ids_in(fragment) == newest_first[20:40]
    assert "<html" not in fragment and 'id="comment-list"' not in fragment
    assert 'id="comments-more-40"' in fragment

    # Without JavaScript the same link is a page of its own.
    plain = reader.open(sort="new", offset="40").get_data(as_text=True)
    assert "<html" in plain and ids_in(plain) == newest_first[40:]
    assert "Показать ещё" not in plain


def test_new_comments_notice(app: Flask, client: FlaskClient, reader: Commenting) -> None:
    thread_id = make_thread(app)
    first = make_comment(app, "первый", thread=thread_id)
    page = reader.open().get_data(as_text=True)
    url = re.search(r'hx-get="([^"]+/-/updates[^"]+)"', page).group(1).replace("&amp;", "&")
    version = re.search(r"v=(\d+)", url).group(1)
    assert f"since={first}" in url

    statements: list[str] = []

    def count_sql(conn, cursor, statement, *args) -> None:
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", count_sql)
    try:
        unchanged = client.get(url, headers=HX)
    finally:
        event.remove(engine, "before_cursor_execute", count_sql)
    assert unchanged.status_code == 204 and unchanged.data == b""
    assert statements == []  # answered from Redis alone

    make_comment(app, "второй", thread=thread_id)
    make_comment(app, "третий", thread=thread_id)
    make_comment(app, "скрытый", thread=thread_id, status=CommentStatus.REVIEW)
    changed = client.get(url, headers=HX)
    assert changed.status_code == 200
    body = changed.get_data(as_text=True)
    assert "2 новых комментария — показать" in body
    new_version = re.search(r"v=(\d+)", body).group(1)
    assert int(new_version) > int(version)
    # Polling on with the version it now shows: nothing new again.
    again = client.get(
        re.search(r'hx-get="([^"]+)"', body).group(1).replace("&amp;", "&"), headers=HX
    )
    assert again.status_code == 204


def test_notice_after_a_removal_offers_nothing(app: Flask, client: FlaskClient) -> None:
    thread_id = make_thread(app)
    first = make_comment(app, "первый", thread=thread_id)
    with app.app_context():
        comment = db.session.get(Comment, first)
        change_status(comment, CommentStatus.HIDDEN)
        db.session.commit()
        thread_changed(thread_id, KEY)
    response = client.get(f"/w/comments/{KEY}/-/updates?v=1&since={first}", headers=HX)
    assert response.status_code == 200
    assert "новых" not in response.get_data(as_text=True)


def test_list_is_cached_per_version(app: Flask, reader: Commenting) -> None:
    thread_id = make_thread(app)
    make_comment(app, "до", thread=thread_id)
    assert "до" in reader.open().get_data(as_text=True)
    with app.app_context():
        # The list, and the page around it as readers without comments of their own see it.
        assert redis_client().hlen(list_cache_key(thread_id)) == 2
        # A write behind the app's back is not seen while the version stands...
        db.session.execute(sa.update(Comment).values(html="<p>подмена</p>"))
        db.session.commit()
    assert "подмена" not in reader.open().get_data(as_text=True)
    # ...and is seen once the version moves, as every status change makes it.
    with app.app_context():
        thread_changed(thread_id, KEY)
    assert "подмена" in reader.open().get_data(as_text=True)


def test_widget_works_without_redis(app_without_redis: Flask) -> None:
    thread_id = make_thread(app_without_redis)
    with app_without_redis.app_context():
        db.session.add(
            Comment(
                thread_id=thread_id,
                author_name="Без Redis",
                text="x",
                html="<p>x</p>",
                status=CommentStatus.APPROVED,
                voter_key="c:x",
            )
        )
        db.session.commit()
    page = app_without_redis.test_client().get(f"/w/comments/{KEY}")
    assert page.status_code == 200 and "Без Redis" in page.get_data(as_text=True)


PAYLOADS = [
    '<img src=x onerror="alert(1)">',
    '<button hx-post="/w/comments/x/-/1/delete" hx-trigger="load">x</button>',
    '"><script>alert(1)</script>',
    '<a href="javascript:alert(1)">x</a>',
    "<svg onload=alert(1)>",
    '<div hx-get="/evil" hx-trigger="load"></div>',
]


class Elements(HTMLParser):
    """Every start tag of a document with its attributes, as a browser's parser sees them."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def assert_no_injected_markup(html: str) -> None:
    for tag, attrs in Elements(html).tags:
        assert tag not in {"img", "svg", "iframe", "object", "embed"}, (tag, attrs)
        if tag == "script":
            assert attrs.get("src", "").startswith("/static/"), attrs
        for name, value in attrs.items():
            assert not name.startswith("on"), (tag, attrs)
            if name.startswith("hx-") and name in {"hx-get", "hx-post"}:
                assert value and value.startswith("/w/comments/bishkek-astana-dialog"), attrs
            if name in {"href", "src", "action", "formaction"}:
                assert not (value or "").strip().lower().startswith("javascript:"), (tag, attrs)
        if tag in {"button", "div"}:
            assert "hx-trigger" not in attrs or attrs["hx-trigger"].startswith("every"), attrs


@pytest.mark.parametrize("payload", PAYLOADS)
def test_names_and_texts_never_become_markup(
    app: Flask, reader: Commenting, other_reader: Commenting, payload: str
) -> None:
    thread_id = make_thread(app)
    make_comment(app, payload, thread=thread_id, author_name=payload)
    assert reader.post(text=payload, name=payload).status_code == 200
    own_view = reader.open().get_data(as_text=True)  # the list and the author's own view
    assert own_view.count("&lt;") >= 4  # the name and the text, twice each, as text
    assert_no_injected_markup(own_view)
    assert_no_injected_markup(other_reader.open().get_data(as_text=True))
    feed = reader.client.get(f"/w/comments/{KEY}/-/feed.atom").get_data(as_text=True)
    # In the feed the stored HTML is itself escaped text; no raw tag from the payload.
    assert "<img" not in feed and "<script" not in feed and "<svg" not in feed
    assert "hx-post=" not in feed.replace("hx-post=&#34;", "").replace("hx-post=&quot;", "")


def test_dates_in_english_on_request(app: Flask, reader: Commenting) -> None:
    thread_id = make_thread(app)
    make_comment(app, "old", thread=thread_id, created_at=utcnow() - timedelta(days=400))
    make_comment(app, "now", thread=thread_id)
    page = reader.open(lang="en").get_data(as_text=True)
    assert len(re.findall(r"\d{1,2} [A-Z][a-z]+ \d{4}, \d\d:\d\d \(Almaty\)", page)) == 2


def test_the_xss_corpus_stays_text_in_every_view(
    app: Flask, reader: Commenting, other_reader: Commenting
) -> None:
    from tests.hostile.test_render_safety import VECTORS

    app.config.update(COMMENT_LIMIT_IP="10000/60", COMMENT_LIMIT_VOTER="10000/60")
    thread_id = make_thread(app)
    token = reader.token()
    vectors = [v for v in VECTORS if v.strip()]
    assert len(vectors) >= 150
    for vector in vectors:
        response = reader.post(
            text=vector, name=vector.strip()[:80] or "x", token=token, htmx=False
        )
        assert response.status_code == 303, vector
    # The author's own view lists every one of them, awaiting moderation.
    own_view = reader.open().get_data(as_text=True)
    assert own_view.count('class="badge-waiting"') == len(vectors)
    assert_no_injected_markup(own_view)

    with app.app_context():
        for comment in db.session.scalars(sa.select(Comment)):
            change_status(comment, CommentStatus.APPROVED)
        db.session.commit()
        thread_changed(thread_id, KEY)
    for offset in range(0, len(vectors), 20):
        page = other_reader.open(offset=str(offset)).get_data(as_text=True)
        assert len(ids_in(page)) == min(20, len(vectors) - offset)
        assert_no_injected_markup(page)
    feed = other_reader.client.get(f"/w/comments/{KEY}/-/feed.atom")
    entries = ET.fromstring(feed.data).findall("{http://www.w3.org/2005/Atom}entry")
    assert len(entries) == 50
