"""Likes (one per reader), the counts API and badge (cached, dropped on change), Atom feeds."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from polls_site.comments.counts import MAX_KEYS
from polls_site.comments.likes import like_mark_key
from polls_site.comments.status import change_status, comment_count_key, thread_changed
from polls_site.core.db import db
from polls_site.core.near_cache import NearCache
from polls_site.core.redis import redis_client
from polls_site.models import Comment, CommentLike, CommentStatus
from polls_site.widget.voters import NEW_VOTER, VOTER_HEADER
from tests.support.comments import PORTAL, Commenting, get_comment
from tests.support.factories import KEY, make_comment, make_thread

HX = {"HX-Request": "true", VOTER_HEADER: NEW_VOTER}  # what widget.js sends
ATOM = "{http://www.w3.org/2005/Atom}"


def like(reader: Commenting, comment_id: int, htmx: bool = True):
    return reader.client.post(
        f"/w/comments/{KEY}/-/{comment_id}/like",
        data={"token": reader.token()},
        headers=HX if htmx else {},
    )


def test_one_like_per_reader(app: Flask, reader: Commenting, other_reader: Commenting) -> None:
    thread_id = make_thread(app)
    comment_id = make_comment(app, thread=thread_id)
    first = like(reader, comment_id)
    assert first.status_code == 200
    assert '<span class="likes">1</span>' in first.get_data(as_text=True)
    assert "disabled" in first.get_data(as_text=True)
    again = like(reader, comment_id)
    assert again.status_code == 409
    assert '<span class="likes">1</span>' in again.get_data(as_text=True)
    assert like(other_reader, comment_id).status_code == 200
    assert get_comment(app, comment_id).likes == 2


def test_the_database_refuses_a_like_redis_forgot(app: Flask, reader: Commenting) -> None:
    thread_id = make_thread(app)
    comment_id = make_comment(app, thread=thread_id)
    assert like(reader, comment_id).status_code == 200
    with app.app_context():
        voter_key = db.session.scalar(sa.select(CommentLike.voter_key))
        redis_client().delete(like_mark_key(comment_id, voter_key))
    assert like(reader, comment_id).status_code == 409
    assert get_comment(app, comment_id).likes == 1
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(CommentLike)) == 1


def test_likes_show_in_the_list_and_order_best(app: Flask, reader: Commenting) -> None:
    thread_id = make_thread(app)
    a = make_comment(app, "a", thread=thread_id)
    b = make_comment(app, "b", thread=thread_id)
    assert like(reader, a, htmx=False).status_code == 303
    page = reader.open(sort="best").get_data(as_text=True)
    ids = [int(x) for x in re.findall(r'<div id="comment-(\d+)"', page)]
    assert ids == [a, b]
    assert '<span class="likes">1</span>' in page


def test_only_approved_comments_can_be_liked(app: Flask, reader: Commenting) -> None:
    thread_id = make_thread(app)
    comment_id = make_comment(app, thread=thread_id, status=CommentStatus.REVIEW)
    assert like(reader, comment_id).status_code == 404


def test_a_forged_like_is_refused(app: Flask, reader: Commenting) -> None:
    thread_id = make_thread(app)
    comment_id = make_comment(app, thread=thread_id)
    response = reader.client.post(
        f"/w/comments/{KEY}/-/{comment_id}/like", data={"token": "x"}, headers=HX
    )
    assert response.status_code == 403
    assert get_comment(app, comment_id).likes == 0


def counts(client: FlaskClient, *keys: str):
    return client.get("/api/comments/count", query_string=[("key", k) for k in keys])


def test_counts_for_many_keys(app: Flask, client: FlaskClient) -> None:
    a = make_thread(app, key="a")
    make_thread(app, key="news/b.html")
    for _ in range(3):
        make_comment(app, thread=a)
    make_comment(app, thread=a, status=CommentStatus.REVIEW)
    response = counts(client, "a", "news/b.html", "never-opened")
    assert response.status_code == 200
    assert response.get_json() == {"a": 3, "news/b.html": 0, "never-opened": 0}
    assert response.headers["Cache-Control"].startswith("public")


def test_counts_cache_is_dropped_by_a_status_change(app: Flask, client: FlaskClient) -> None:
    thread_id = make_thread(app, key="a")
    first = make_comment(app, thread=thread_id)
    assert counts(client, "a").get_json() == {"a": 1}
    with app.app_context():
        assert redis_client().get(comment_count_key("a")) == b"1"
        # The cached number is what the API answers while nothing changes...
        redis_client().set(comment_count_key("a"), 41)
    assert counts(client, "a").get_json() == {"a": 41}
    with app.app_context():
        comment = db.session.get(Comment, first)
        change_status(comment, CommentStatus.HIDDEN)
        db.session.commit()
        thread_changed(thread_id, "a")
    # ...and a change through change_status + thread_changed drops it.
    assert counts(client, "a").get_json() == {"a": 0}


def _round_trips(app: Flask, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """A list that grows by one for every command (or pipeline) sent to Redis."""
    sent: list[int] = []
    connection_class = redis_client().connection_pool.connection_class
    original = connection_class.send_packed_command

    def counting(self, command, *args, **kwargs):
        sent.append(1)
        return original(self, command, *args, **kwargs)

    monkeypatch.setattr(connection_class, "send_packed_command", counting)
    return sent


def test_counts_cost_one_round_trip_and_none_when_near(
    app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    keys = [f"t{i}" for i in range(20)]
    for key in keys[:3]:
        make_comment(app, thread=make_thread(app, key=key))
    with app.app_context():
        sent = _round_trips(app, monkeypatch)
    # Cold keys: one MGET, the database, one pipeline storing them.
    assert counts(client, *keys).get_json() == {k: int(k in keys[:3]) for k in keys}
    assert len(sent) == 2
    sent.clear()
    # Warm: every key in one MGET.
    assert counts(client, *keys).get_json()["t0"] == 1
    assert len(sent) == 1
    sent.clear()
    # With the near cache on (as in production), the same keys again cost no round trip.
    app.extensions["polls_near_cache"] = NearCache(60)
    assert counts(client, *keys).get_json()["t1"] == 1
    assert counts(client, *keys).get_json()["t1"] == 1
    assert len(sent) == 1
    # Another set of keys is another entry.
    assert counts(client, "t2", "t3").get_json() == {"t2": 1, "t3": 0}


@pytest.mark.parametrize(
    "keys, error",
    [
        ([], "no_keys"),
        (["Bad Key"], "bad_key"),
        (["ok", "../etc"], "bad_key"),
        ([f"k{i}" for i in range(MAX_KEYS + 1)], "too_many_keys"),
    ],
)
def test_bad_count_requests(client: FlaskClient, keys: list[str], error: str) -> None:
    response = counts(client, *keys)
    assert response.status_code == 400
    assert response.get_json()["error"] == error


def test_counts_may_be_read_by_the_portal(client: FlaskClient) -> None:
    allowed = client.get("/api/comments/count?key=a", headers={"Origin": PORTAL})
    assert allowed.headers["Access-Control-Allow-Origin"] == PORTAL
    other = client.get("/api/comments/count?key=a", headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in other.headers


def test_badge(app: Flask, client: FlaskClient) -> None:
    thread_id = make_thread(app, url=f"{PORTAL}/news/1.html")
    make_comment(app, thread=thread_id)
    make_comment(app, thread=thread_id)
    page = client.get(f"/w/comments/{KEY}/-/badge").get_data(as_text=True)
    assert "Комментарии [2]" in page
    assert f'href="{PORTAL}/news/1.html"' in page and 'target="_top"' in page
    unknown = client.get("/w/comments/not-yet/-/badge")
    assert unknown.status_code == 200 and "Комментарии [0]" in unknown.get_data(as_text=True)
    assert client.get("/w/comments/Bad Key/-/badge").status_code == 400


def parse_feed(client: FlaskClient, url: str) -> ET.Element:
    response = client.get(url)
    assert response.status_code == 200
    assert response.mimetype == "application/atom+xml"
    return ET.fromstring(response.data)


def test_thread_feed(app: Flask, client: FlaskClient) -> None:
    thread_id = make_thread(app, title="Бишкек & Астана <диалог>")
    first = make_comment(
        app, "Первый & <b>жирный</b>\x07", thread=thread_id, author_name="Айгуль <b>"
    )
    make_comment(app, "На модерации", thread=thread_id, status=CommentStatus.REVIEW)
    second = make_comment(app, "Второй https://example.org", thread=thread_id, author_name="Бек")
    feed = parse_feed(client, f"/w/comments/{KEY}/-/feed.atom")
    assert feed.find(f"{ATOM}title").text == "Комментарии: Бишкек & Астана <диалог>"
    entries = feed.findall(f"{ATOM}entry")
    assert [e.find(f"{ATOM}id").text.rsplit("-", 1)[1] for e in entries] == [
        str(second),
        str(first),
    ]
    newest, oldest = entries
    assert oldest.find(f"{ATOM}author/{ATOM}name").text == "Айгуль <b>"
    content = oldest.find(f"{ATOM}content")
    assert content.get("type") == "html"
    assert content.text == get_comment(app, first).html.replace("\x07", "")
    assert "&lt;b&gt;" in content.text  # the reader's markup is text inside the HTML
    assert 'rel="nofollow ugc noopener noreferrer"' in newest.find(f"{ATOM}content").text
    assert all("На модерации" not in (e.find(f"{ATOM}content").text or "") for e in entries)


def test_site_feed(app: Flask, client: FlaskClient) -> None:
    a = make_thread(app, key="a", title="Статья А")
    b = make_thread(app, key="b", title="Статья Б")
    make_comment(app, "в А", thread=a)
    make_comment(app, "в Б", thread=b)
    make_comment(app, "отклонён", thread=b, status=CommentStatus.REJECTED)
    feed = parse_feed(client, "/w/comments/-/feed.atom")
    titles = [e.find(f"{ATOM}title").text for e in feed.findall(f"{ATOM}entry")]
    assert titles == ["Читатель о «Статья Б»", "Читатель о «Статья А»"]


def test_rotating_cookies_from_one_address_cannot_stuff_likes(app: Flask) -> None:
    """Each new reader (a fresh cookie) from one address counts, up to the per-address limit."""
    thread_id = make_thread(app)
    comment_id = make_comment(app, thread=thread_id)
    limit = int(app.config["LIKE_LIMIT_IP_COMMENT"].split("/")[0])
    statuses = [like(Commenting(app.test_client()), comment_id).status_code for _ in range(60)]
    assert statuses == [200] * limit + [429] * (60 - limit)
    assert get_comment(app, comment_id).likes == limit
    refused = like(Commenting(app.test_client()), comment_id)
    assert int(refused.headers["Retry-After"]) > 0
    assert "Слишком много отметок «Нравится» из вашей сети" in refused.get_data(as_text=True)
    # Another address is not held by this one's likes.
    elsewhere = app.test_client()
    elsewhere.environ_base["REMOTE_ADDR"] = "198.51.100.9"
    assert like(Commenting(elsewhere), comment_id).status_code == 200
