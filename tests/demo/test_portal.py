"""The demo portal: another site's page that embeds the widgets with the README's snippet."""

from __future__ import annotations

from polls_site.comments.signing import embed_signature
from polls_site.demo.portal import create_portal_app
from polls_site.demo.portal.content import ARTICLE, NEWS
from polls_site.demo.run import demo_origins


def test_portal_page_embeds_the_widgets_with_the_snippet() -> None:
    portal = create_portal_app("http://localhost:9000/", archive_path="/polls/")
    html = portal.test_client().get("/").get_data(as_text=True)
    assert '<script src="http://localhost:9000/embed.js" defer></script>' in html
    assert '<div data-poll="current" data-theme="light"><noscript>' in html
    assert f'data-comments="{ARTICLE.key}"' in html
    assert 'href="http://localhost:9000/polls/">все опросы</a>' in html
    assert "Наш опрос" in html
    assert ARTICLE.title in html
    # Without scripts a link reading «Комментарии»; embed.js adds the number and shows it.
    count = '<span data-count-box hidden> [<span data-comment-count="{}"></span>]</span></a>'
    for story in [ARTICLE, *NEWS]:
        assert "Комментарии" + count.format(story.key) in html
    # And each widget's plain iframe for readers without scripts.
    assert '<noscript><iframe src="http://localhost:9000/w/poll/current"' in html
    assert (f'<noscript><iframe src="http://localhost:9000/w/comments/{ARTICLE.key}?title=') in html


def test_portal_reads_the_widget_origin_from_the_environment(monkeypatch) -> None:
    monkeypatch.setenv("PORTAL_WIDGET_ORIGIN", "https://widgets.example")
    html = create_portal_app().test_client().get("/").get_data(as_text=True)
    assert '<script src="https://widgets.example/embed.js" defer></script>' in html


def test_demo_serves_portal_and_widgets_on_two_sites() -> None:
    assert demo_origins("127.0.0.1", 8000) == ("http://localhost:8000", "http://127.0.0.1:8001")
    assert demo_origins("10.0.0.5", 8000) == ("http://10.0.0.5:8000", "http://10.0.0.5:8001")


def test_with_a_secret_the_portal_signs_its_comment_thread() -> None:
    secret = "demo-portal-secret-0123456789"
    portal = create_portal_app("http://localhost:9000", signing_key=secret)
    html = portal.test_client().get("/").get_data(as_text=True)
    expected = embed_signature(secret, ARTICLE.key, ARTICLE.title, "http://localhost/")
    assert 'data-url="http://localhost/"' in html
    assert f'data-signature="{expected}"' in html
    assert f"&amp;sig={expected}" in html  # the plain iframe is signed too
    unsigned = create_portal_app("http://localhost:9000").test_client().get("/")
    assert "data-signature" not in unsigned.get_data(as_text=True)
