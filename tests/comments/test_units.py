"""Pure parts of the comment widget: thread keys and origins, the reply tree."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from polls_site.comments.keys import may_open_thread, origin_of, valid_thread_key
from polls_site.comments.tree import CommentRow, build_tree, page_of, parse_offset, parse_sort

ALLOWED = ["https://portal.kg", "https://m.portal.kg"]


@pytest.mark.parametrize(
    "key",
    ["bishkek-astana-dialog", "a", "news/2026/11/bishkek.html", "id_123", "x" * 200, "0.9"],
)
def test_well_formed_keys(key: str) -> None:
    assert valid_thread_key(key)


@pytest.mark.parametrize(
    "key",
    [
        "",
        "x" * 201,
        "Bishkek",
        "новости",
        "a b",
        "a//b",
        "/a",
        "a/",
        "a/-/badge",
        "-a",
        ".hidden",
        "a/../b",
        "a?b",
        "<script>",
    ],
)
def test_malformed_keys(key: str) -> None:
    assert not valid_thread_key(key)


def test_origin_of() -> None:
    assert origin_of("https://Portal.KG/news/1.html?x=1") == "https://portal.kg"
    assert origin_of("http://127.0.0.1:8001/a") == "http://127.0.0.1:8001"
    assert origin_of("javascript:alert(1)") is None
    assert origin_of("https://evil.example@portal.kg/") is None
    assert origin_of("") is None
    assert origin_of(None) is None


def test_thread_opens_from_an_allowed_referer_or_origin() -> None:
    ok = dict(origin=None, page_url="https://portal.kg/news/1.html")
    assert may_open_thread(ALLOWED, referer="https://portal.kg/news/1.html", **ok)
    assert may_open_thread(ALLOWED, referer="https://m.portal.kg/", origin=None, page_url=None)
    assert may_open_thread(ALLOWED, referer=None, origin="https://portal.kg", page_url="")


def test_thread_does_not_open_from_elsewhere() -> None:
    assert not may_open_thread(ALLOWED, referer=None, origin=None, page_url=None)
    assert not may_open_thread(ALLOWED, referer="https://evil.example/", origin=None, page_url=None)
    assert not may_open_thread(ALLOWED, referer=None, origin="null", page_url=None)
    # The framing page is the portal's, but the article it claims lives elsewhere.
    assert not may_open_thread(
        ALLOWED, referer="https://portal.kg/", origin=None, page_url="https://evil.example/x"
    )
    # A look-alike host is another origin.
    assert not may_open_thread(
        ALLOWED, referer="https://portal.kg.evil.example/", origin=None, page_url=None
    )


NOW = datetime(2026, 11, 25, 3, 0, tzinfo=UTC)


def row(id_: int, parent: int | None = None, name: str = "", likes: int = 0) -> CommentRow:
    return CommentRow(id_, parent, name or f"n{id_}", "", NOW, None, likes)


def test_tree_flattens_deeper_replies_under_their_root() -> None:
    rows = [
        row(1, name="Айгуль"),
        row(2, 1, name="Бек"),
        row(3, 2, name="Вера"),
        row(4, 3),
        row(5),
        row(6, 1),
    ]
    roots = build_tree(rows, "old")
    assert [r.row.id for r in roots] == [1, 5]
    replies = roots[0].replies
    assert [(r.row.id, r.reply_to) for r in replies] == [
        (2, None),
        (3, "Бек"),
        (4, "Вера"),
        (6, None),
    ]
    assert roots[1].replies == []


def test_tree_sorts_roots_only() -> None:
    rows = [row(1, likes=2), row(2, likes=5), row(3, likes=2), row(4, 1), row(5, 1)]
    assert [r.row.id for r in build_tree(rows, "new")] == [3, 2, 1]
    assert [r.row.id for r in build_tree(rows, "old")] == [1, 2, 3]
    assert [r.row.id for r in build_tree(rows, "best")] == [2, 3, 1]
    best = build_tree(rows, "best")
    assert [r.row.id for r in best[2].replies] == [4, 5]


def test_a_reply_whose_parent_is_not_shown_stands_alone() -> None:
    roots = build_tree([row(2, 1), row(3, 2)], "old")
    assert [r.row.id for r in roots] == [2]
    assert [(r.row.id, r.reply_to) for r in roots[0].replies] == [(3, None)]


def test_pages() -> None:
    roots = build_tree([row(i) for i in range(1, 46)], "old")
    first, following = page_of(roots, 0)
    assert [r.row.id for r in first] == list(range(1, 21)) and following == 20
    second, following = page_of(roots, 20)
    assert second[0].row.id == 21 and following == 40
    last, following = page_of(roots, 40)
    assert len(last) == 5 and following is None
    assert page_of(roots, 100) == ([], None)


def test_sort_and_offset_parsing() -> None:
    assert parse_sort("best") == "best"
    assert parse_sort("evil") == "new"
    assert parse_sort(None) == "new"
    assert parse_offset("20") == 20
    assert parse_offset("-5") == 0
    assert parse_offset("x") == 0
    assert parse_offset(None) == 0
