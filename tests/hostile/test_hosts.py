"""A forged Host header: absolute URLs come from PUBLIC_URL, never from the request, and a
request naming a host outside TRUSTED_HOSTS is refused."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask

from polls_site import create_app
from polls_site.config import finish, load_settings
from tests.support.app import app_config, empty_tables
from tests.support.factories import KEY, make_comment, make_poll, make_thread

PUBLIC = "https://polls.portal.example"
EVIL = {"Host": "evil.example"}


@pytest.fixture
def public_app(database_url, redis_url, redis_prefix, _schema) -> Iterator[Flask]:
    app = create_app(
        app_config(database_url, redis_url, f"{redis_prefix}-host:", PUBLIC_URL=PUBLIC)
    )
    yield app
    empty_tables(app)


def test_a_host_outside_the_trusted_ones_is_refused(public_app: Flask) -> None:
    poll_id = make_poll(public_app)
    response = public_app.test_client().get(f"/w/poll/{poll_id}", headers=EVIL)
    assert response.status_code == 400


@pytest.mark.parametrize("host", ["polls.portal.example", "localhost", "127.0.0.1"])
def test_absolute_urls_name_the_public_url_whatever_the_host(public_app: Flask, host) -> None:
    client = public_app.test_client()
    thread_id = make_thread(public_app)
    make_comment(public_app, thread=thread_id)
    poll_id = make_poll(public_app)
    headers = {"Host": host}
    feed = client.get(f"/w/comments/{KEY}/-/feed.atom", headers=headers).get_data(as_text=True)
    assert f"{PUBLIC}/w/comments/{KEY}" in feed and "http://" not in feed.replace(
        "http://www.w3.org", ""
    )
    oembed = client.get(
        "/oembed", query_string={"url": f"{PUBLIC}/polls/{poll_id}"}, headers=headers
    ).get_json()
    assert oembed["provider_url"] == f"{PUBLIC}/"
    assert f'src="{PUBLIC}/w/poll/{poll_id}"' in oembed["html"]
    spec = client.get("/api/openapi.json", headers=headers).get_json()
    assert spec["servers"][0]["url"] == PUBLIC


def test_without_a_public_url_every_host_is_served(app: Flask, client) -> None:
    """Development and the test servers: no PUBLIC_URL, the request's host is used."""
    assert client.get("/api/openapi.json", headers=EVIL).status_code == 200


@pytest.mark.parametrize("bad", ["polls.portal.example", "ftp://x", "https://x/path", "https://"])
def test_a_malformed_public_url_stops_start_up(tmp_path, bad) -> None:
    settings = load_settings(str(tmp_path), {"PUBLIC_URL": bad})
    with pytest.raises(ValueError, match="PUBLIC_URL"):
        finish(settings)


def test_trusted_hosts_may_be_listed(tmp_path) -> None:
    settings = load_settings(str(tmp_path), {"TRUSTED_HOSTS": "polls.kg, .portal.kg"})
    finish(settings)
    assert settings["TRUSTED_HOSTS"] == ["polls.kg", ".portal.kg"]
