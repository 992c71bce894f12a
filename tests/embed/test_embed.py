"""What the portal embeds with: embed.js, the current poll, themes and oEmbed."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask
from werkzeug.datastructures import MultiDict

from polls_site.models import PollStatus, utcnow
from polls_site.widget.theme import (
    BACKGROUNDS,
    Theme,
    accent_css,
    contrast_ratio,
    on_accent,
    parse_accent,
    parse_theme,
    readable_accent,
)
from tests.support.factories import closed_poll_fields, make_poll


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("#0a6", "00aa66"),
        ("0A6", "00aa66"),
        ("#1f6fb2", "1f6fb2"),
        ("#12345", None),
        ("red", None),
        ("#0a6;background:url(x)", None),
        ("", None),
        (None, None),
    ],
)
def test_accent_must_be_a_hex_colour(value: str | None, expected: str | None) -> None:
    assert parse_accent(value) == expected


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ({}, Theme()),
        ({"theme": "dark", "accent": "#0a6", "font": "serif"}, Theme("dark", "00aa66", "serif")),
        ({"theme": "neon", "accent": "blue", "font": "Comic Sans"}, Theme()),
        ({"theme": "dark}body{display:none"}, Theme()),
    ],
)
def test_invalid_theme_values_fall_back_to_the_defaults(args: dict, expected: Theme) -> None:
    assert parse_theme(MultiDict(args)) == expected


def test_theme_names_only_what_differs_from_the_default() -> None:
    assert Theme().args == {}
    assert Theme("dark", "00aa66", "serif").args == {
        "theme": "dark",
        "accent": "00aa66",
        "font": "serif",
    }
    assert Theme("dark", None, "sans").body_class == "theme-dark font-sans"


@pytest.mark.parametrize("theme", ["light", "dark"])
@pytest.mark.parametrize("accent", ["ffff00", "00aa66", "000080", "777777", "ffffff", "000000"])
def test_any_accent_becomes_readable_on_the_background(theme: str, accent: str) -> None:
    colour = readable_accent(accent, theme)
    assert contrast_ratio(colour, BACKGROUNDS[theme]) >= 4.5
    assert contrast_ratio(on_accent(colour), colour) >= 4.5


def test_a_readable_accent_is_kept_as_it_is() -> None:
    assert readable_accent("1f6fb2", "light") == (0x1F, 0x6F, 0xB2)


def test_contrast_ratio_matches_wcag() -> None:
    assert contrast_ratio((0, 0, 0), (255, 255, 255)) == pytest.approx(21)
    assert contrast_ratio((119, 119, 119), (255, 255, 255)) == pytest.approx(4.48, abs=0.01)


def test_accent_stylesheet_sets_the_custom_properties() -> None:
    css = accent_css(Theme("light", "1f6fb2"))
    assert css == "body.widget { --poll-accent: #1f6fb2; --poll-on-accent: #ffffff; }\n"


def test_theme_css_endpoint(client) -> None:
    response = client.get("/w/theme.css?accent=0a6&theme=dark")
    assert response.status_code == 200
    assert response.mimetype == "text/css"
    assert "--poll-accent: #00aa66" in response.get_data(as_text=True)
    assert "max-age" in response.headers["Cache-Control"]
    assert client.get("/w/theme.css?accent=url(x)").status_code == 404


def test_themed_widget_uses_classes_and_the_accent_stylesheet(client, poll_id: int) -> None:
    page = client.get(f"/w/poll/{poll_id}?theme=dark&accent=%230a6&font=serif")
    html = page.get_data(as_text=True)
    assert '<body class="widget theme-dark font-serif"' in html
    assert "/w/theme.css?theme=dark&amp;accent=00aa66" in html
    # The vote form posts back to a themed page: a reader without JavaScript keeps the look.
    assert f"/w/poll/{poll_id}/vote?theme=dark&amp;accent=00aa66&amp;font=serif" in html
    assert "style=" not in html


def test_invalid_theme_renders_the_default_widget(client, poll_id: int) -> None:
    html = client.get(f"/w/poll/{poll_id}?theme=x&accent=javascript:1").get_data(as_text=True)
    assert '<body class="widget theme-light font-system"' in html
    assert "theme.css" not in html


def test_cached_form_is_not_shared_between_themes(client, poll_id: int) -> None:
    assert "theme-dark" in client.get(f"/w/poll/{poll_id}?theme=dark").get_data(as_text=True)
    assert "theme-dark" not in client.get(f"/w/poll/{poll_id}").get_data(as_text=True)


def test_widget_lists_the_portal_origins_for_its_height_messages(client, poll_id: int) -> None:
    html = client.get(f"/w/poll/{poll_id}").get_data(as_text=True)
    assert (
        '<meta name="widget-parents" content="http://127.0.0.1:8001 http://localhost:8001">' in html
    )
    assert "/static/widget.js" in html
    assert 'id="widget-announce"' in html


def test_embed_js_is_served_at_a_stable_address(client) -> None:
    response = client.get("/embed.js")
    body = response.get_data(as_text=True)
    response.close()
    assert response.status_code == 200
    assert response.mimetype == "text/javascript"
    assert "PollsSiteEmbed" in body
    assert "max-age=3600" in response.headers["Cache-Control"]


def test_current_poll_is_the_newest_open_one(app: Flask, client) -> None:
    now = utcnow()
    make_poll(app, question="old open", opens_at=now - timedelta(days=9))
    newest = make_poll(app, question="new open", opens_at=now - timedelta(days=1))
    make_poll(app, question="draft", status=PollStatus.DRAFT, opens_at=now)
    make_poll(app, question="closed", opens_at=now, **closed_poll_fields())
    make_poll(app, question="future", opens_at=now + timedelta(days=2))
    response = client.get("/w/poll/current?theme=dark")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/w/poll/{newest}?theme=dark"
    assert response.headers["Cache-Control"] == "no-store"


def test_current_poll_falls_back_to_a_closed_one_then_404(app: Flask, client) -> None:
    assert client.get("/w/poll/current").status_code == 404
    closed = make_poll(app, **closed_poll_fields())
    assert client.get("/w/poll/current").headers["Location"] == f"/w/poll/{closed}"


def test_oembed_for_a_poll_url(client, poll_id: int) -> None:
    url = f"http://localhost/w/poll/{poll_id}"
    response = client.get("/oembed", query_string={"url": url, "format": "json", "maxwidth": 300})
    assert response.status_code == 200
    data = response.get_json()
    assert data["type"] == "rich"
    assert data["version"] == "1.0"
    assert data["title"] == "Как вы относитесь к вопросу?"
    assert data["width"] == 300
    assert f'<iframe src="{url}" title="Как вы относитесь к вопросу?"' in data["html"]
    assert "<script" not in data["html"]


@pytest.mark.parametrize(
    ("url", "fmt", "status"),
    [
        ("http://localhost/w/poll/{id}", "xml", 501),
        ("http://localhost/w/poll/999999", "json", 404),
        ("http://evil.example/w/poll/{id}", "json", 404),
        ("http://localhost/api/polls", "json", 404),
        ("http://localhost/no/such/page", "json", 404),
        ("javascript:alert(1)", "json", 404),
        ("", "json", 404),
    ],
)
def test_oembed_refuses_what_it_cannot_embed(client, poll_id: int, url, fmt, status) -> None:
    response = client.get("/oembed", query_string={"url": url.format(id=poll_id), "format": fmt})
    assert response.status_code == status
    assert "error" in response.get_json()


def test_oembed_refuses_draft_polls(app: Flask, client) -> None:
    draft = make_poll(app, status=PollStatus.DRAFT)
    url = f"http://localhost/w/poll/{draft}"
    assert client.get("/oembed", query_string={"url": url}).status_code == 404


def test_poll_page_announces_its_oembed(client, poll_id: int) -> None:
    html = client.get(f"/w/poll/{poll_id}").get_data(as_text=True)
    assert '<link rel="alternate" type="application/json+oembed"' in html
    assert f"/oembed?url=http://localhost/w/poll/{poll_id}&amp;format=json" in html


def test_current_poll_is_the_one_editors_marked(app: Flask, client) -> None:
    marked = make_poll(app, question="marked", current_section="main")
    make_poll(app, question="newer open", opens_at=utcnow())
    assert client.get("/w/poll/current").headers["Location"] == f"/w/poll/{marked}"


def test_current_poll_of_a_section(app: Flask, client) -> None:
    main = make_poll(app, question="main", current_section="main")
    sport = make_poll(app, question="sport", current_section="sport")
    assert client.get("/w/poll/current?section=sport").headers["Location"] == f"/w/poll/{sport}"
    assert client.get("/w/poll/current").headers["Location"] == f"/w/poll/{main}"
    # A section nobody marked shows what the sidebar would: the newest open poll.
    assert client.get("/w/poll/current?section=culture").headers["Location"] == f"/w/poll/{sport}"


@pytest.mark.parametrize("section", ["Sport", "спорт", "a" * 41, "", "x y"])
def test_current_poll_refuses_a_malformed_section(app: Flask, client, section: str) -> None:
    make_poll(app, current_section="main")
    response = client.get("/w/poll/current", query_string={"section": section})
    assert response.status_code == 400
    assert "Название раздела портала недопустимо" in response.get_data(as_text=True)


def test_oembed_for_an_archive_page(client, poll_id: int) -> None:
    url = f"http://localhost/polls/{poll_id}"
    page = client.get(url).get_data(as_text=True)
    assert f'<link rel="canonical" href="{url}">' in page
    # The archive page announces its own oEmbed, and the endpoint embeds the widget.
    assert f"/oembed?url={url}&amp;format=json" in page
    data = client.get("/oembed", query_string={"url": url}).get_json()
    assert f'<iframe src="http://localhost/w/poll/{poll_id}"' in data["html"]
