"""Fingerprinted static URLs and their caching (polls_site/core/static_files.py), and the
theme stylesheet that is immutable by its hash."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient

from polls_site.core.static_files import IMMUTABLE, REVALIDATE

ASSET_RE = re.compile(r'"/static/([^"?]+)\?v=([0-9a-f]{12})"')


def cache_control(client: FlaskClient, url: str) -> str:
    """The Cache-Control of ``url`` (the streamed file closed)."""
    with client.get(url) as response:
        assert response.status_code == 200, url
        return response.headers["Cache-Control"]


def test_widget_pages_name_static_files_by_their_content_hash(
    app: Flask, client: FlaskClient, poll_id: int
) -> None:
    html = client.get(f"/w/poll/{poll_id}").get_data(as_text=True)
    assets = dict(ASSET_RE.findall(html))
    assert {"widget.css", "widget.js", "htmx-2.0.11.min.js"} <= set(assets)
    for name, fingerprint in assets.items():
        data = Path(app.static_folder or "", name).read_bytes()
        assert fingerprint == hashlib.sha256(data).hexdigest()[:12], name


def test_a_matching_hash_is_cached_for_a_year_anything_else_revalidates(
    client: FlaskClient, poll_id: int
) -> None:
    html = client.get(f"/w/poll/{poll_id}").get_data(as_text=True)
    fingerprint = dict(ASSET_RE.findall(html))["widget.js"]
    assert cache_control(client, f"/static/widget.js?v={fingerprint}") == IMMUTABLE
    for url in ("/static/widget.js", "/static/widget.js?v=000000000000"):
        assert cache_control(client, url) == REVALIDATE, url
    assert client.get("/static/nothing.js?v=1").status_code == 404


def test_embed_js_keeps_its_fixed_url_and_hour(client: FlaskClient) -> None:
    with client.get("/embed.js") as response:
        assert response.headers["Cache-Control"] == "public, max-age=3600"
        assert response.headers["X-Accel-Expires"] == "1"


def test_one_stylesheet_serves_both_widgets(client: FlaskClient, poll_id: int) -> None:
    page = client.get("/w/comments/edge-css", headers={"Referer": "http://127.0.0.1:8001/a"})
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert [name for name, _ in ASSET_RE.findall(html) if name.endswith(".css")] == ["widget.css"]
    with client.get("/static/widget.css") as css:
        assert ".comments" in css.get_data(as_text=True)


def test_theme_stylesheet_is_immutable_at_the_url_the_widget_names(
    client: FlaskClient, poll_id: int
) -> None:
    html = client.get(f"/w/poll/{poll_id}?accent=0a6").get_data(as_text=True)
    href = re.search(r'href="(/w/theme\.css\?[^"]+)"', html).group(1).replace("&amp;", "&")  # type: ignore[union-attr]
    assert "v=" in href
    assert client.get(href).headers["Cache-Control"] == IMMUTABLE
    other = client.get("/w/theme.css?accent=0a6&v=stale")
    assert other.headers["Cache-Control"] == "public, max-age=86400"
