"""Comment rendering against an XSS corpus: nothing but paragraphs, breaks and http(s) links
survives, and the reader still sees exactly what was written."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from polls_site.comments.render import render_comment_html

CORPUS = Path(__file__).parent / "data" / "xss_vectors.txt"
# What render.py drops on purpose: invisible format characters (bidi controls, zero-width);
# and NUL, which HTML parsers (nh3's html5ever too) drop from text.
INVISIBLE = re.compile("[\x00\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")


def load_vectors() -> list[str]:
    vectors = []
    for line in CORPUS.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        if line.startswith("~"):
            line = line[1:].encode("ascii").decode("unicode_escape")
        vectors.append(line)
    return vectors


VECTORS = load_vectors()


class Markup(HTMLParser):
    """Everything the browser would build from the output: tags, attributes, text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.text: list[str] = []
        self.other: list[str] = []

    def handle_starttag(self, tag, attrs) -> None:
        self.tags.append((tag, attrs))

    def handle_startendtag(self, tag, attrs) -> None:
        self.tags.append((tag, attrs))

    def handle_data(self, data) -> None:
        self.text.append(data)

    def handle_comment(self, data) -> None:
        self.other.append(f"<!--{data}-->")

    def handle_decl(self, decl) -> None:
        self.other.append(f"<!{decl}>")

    def handle_pi(self, data) -> None:
        self.other.append(f"<?{data}>")

    def unknown_decl(self, data) -> None:
        self.other.append(f"<![{data}]>")


def parse(html: str) -> Markup:
    markup = Markup()
    markup.feed(html)
    markup.close()
    return markup


def test_the_corpus_is_big_enough() -> None:
    assert len(VECTORS) >= 200
    assert len(set(VECTORS)) == len(VECTORS), "a vector is listed twice"


@pytest.mark.parametrize("vector", VECTORS)
def test_no_vector_survives_as_markup(vector: str) -> None:
    html = render_comment_html(vector)
    markup = parse(html)
    assert markup.other == []
    for tag, attrs in markup.tags:
        assert tag in {"p", "br", "a"}, html
        names = [name for name, _value in attrs]
        assert set(names) <= {"href", "target", "rel"}, html
        assert not any(n.startswith(("on", "hx-", "data-hx")) for n in names), html
        if tag == "a":
            attributes = dict(attrs)
            assert urlsplit(attributes["href"]).scheme in {"http", "https"}, html
            assert attributes["target"] == "_blank"
            assert set(attributes["rel"].split()) >= {"nofollow", "ugc", "noopener"}
        else:
            assert attrs == [], html


@pytest.mark.parametrize("vector", VECTORS)
def test_the_reader_sees_what_was_written(vector: str) -> None:
    visible = "".join(parse(render_comment_html(vector)).text)
    written = INVISIBLE.sub("", vector)
    # Line breaks become paragraphs and <br>; every other character stays as typed.
    assert "".join(visible.split()) == "".join(written.split())


def test_a_url_the_sanitiser_would_refuse_stays_text() -> None:
    html = render_comment_html("www.javascript:alert(1) and https://a.example:x/ and www.ok.kg")
    assert html.count("<a ") == 1 and 'href="http://www.ok.kg"' in html
    assert "www.javascript:alert(1) and https://a.example:x/ and " in html


def test_a_link_keeps_its_exact_address() -> None:
    html = render_comment_html('See https://example.com/a?b=1&c="x" now')
    ((tag, attrs),) = parse(html).tags[1:]
    assert tag == "a" and dict(attrs)["href"] == "https://example.com/a?b=1&c="
