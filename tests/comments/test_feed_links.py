"""Where a feed entry leads: the article on the portal at the comment, else the widget page."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Flask

from polls_site.comments.portal import entry_link
from polls_site.comments.threads import FeedEntry

WHEN = datetime(2026, 3, 12, 9, 5, tzinfo=UTC)


def entry(url: str, comment_id: int = 4) -> FeedEntry:
    return FeedEntry(comment_id, "Гульнара", "<p>Текст</p>", WHEN, None, "news/1", "Статья", url)


def test_an_entry_links_to_the_article_at_its_comment(app: Flask) -> None:
    with app.test_request_context("/"):
        assert entry_link(entry("https://portal.kg/news/1.html")) == (
            "https://portal.kg/news/1.html#comment-4"
        )
        # The article's own anchor gives way; its query stays.
        assert entry_link(entry("https://portal.kg/news?id=1#top", 7)) == (
            "https://portal.kg/news?id=1#comment-7"
        )


def test_without_an_article_address_the_widget_page_at_the_comment(app: Flask) -> None:
    with app.test_request_context("/"):
        link = entry_link(entry(""))
    assert link.endswith("/w/comments/news/1#comment-4")
