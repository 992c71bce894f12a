"""Fuzzing every route (walked from the URL map) through the test client: random bytes,
huge bodies, bad UTF-8, wrong types, repeated fields, odd path values and headers, and each
route with hostile values (over-range ids, "²", files, huge text) under every parameter
name the code reads. Every answer is a deliberate one: never a 500 (nor any 5xx, the
database being up).

The staff area is fuzzed logged in as an admin who sends the valid CSRF token (header),
and the widget forms sometimes get valid tokens, so the garbage reaches the form handling
rather than stopping at the token check (the CSRF test covers that check).
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.datastructures import MultiDict
from werkzeug.routing import AnyConverter, IntegerConverter, Rule

from polls_site import create_app
from polls_site.core.converters import parse_id
from polls_site.models import CommentStatus, Role
from polls_site.widget.voters import make_form_token
from tests.support.app import app_config, empty_tables
from tests.support.factories import KEY, make_comment, make_poll, make_staff, make_thread
from tests.support.staff import StaffClient

METHODS = {"GET", "POST", "PUT", "PATCH", "DELETE"}
CONTENT_TYPES = [
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=xyz",
    "multipart/form-data",
    "application/json",
    "text/plain",
    "application/x-www-form-urlencoded; charset=koi8-r",
    "",
]
FIELDS = [
    "token",
    "option",
    "name",
    "text",
    "website",
    "parent",
    "revision",
    "reason",
    "ids",
    "action",
    "days",
    "by_ip",
    "by_voter",
    "username",
    "password",
    "role",
    "kind",
    "pattern",
    "value",
    "voter_key",
    "csrf_token",
    "next",
    "q",
    "page",
    "sort",
    "offset",
]


@pytest.fixture
def fuzz_app(database_url, redis_url, redis_prefix, _schema) -> Iterator[Flask]:
    app = create_app(app_config(database_url, redis_url, f"{redis_prefix}-fuzz:"))
    yield app
    empty_tables(app)


def rules(app: Flask) -> list[tuple[Rule, str]]:
    return [
        (rule, method)
        for rule in app.url_map.iter_rules()
        if rule.endpoint != "static"
        for method in sorted((rule.methods or set()) & METHODS)
    ]


def path_values(rule: Rule) -> st.SearchStrategy[dict]:
    values = {}
    for name, converter in rule._converters.items():
        if isinstance(converter, IntegerConverter):
            values[name] = st.one_of(
                st.integers(0, 5), st.integers(0, 2**31), st.integers(2**31, 2**80)
            )
        elif isinstance(converter, AnyConverter):
            values[name] = st.sampled_from(sorted(converter.items))
        else:
            values[name] = st.one_of(
                st.just(KEY),
                st.text(min_size=1, max_size=300).filter(lambda s: s.strip("/") != ""),
                st.sampled_from(["..", "a/../b", "%00", "x" * 500, "ключ", "-/feed.atom"]),
            )
    return st.fixed_dictionaries(values)


field_values = st.one_of(
    st.text(max_size=200),
    st.integers(-(2**70), 2**70).map(str),
    st.sampled_from(["", "0", "-1", "1e9", "NaN", "null", "[]", "{}", "true", "\x00", "x" * 5000]),
)
form_body = st.lists(
    st.tuples(st.one_of(st.sampled_from(FIELDS), st.text(max_size=20)), field_values),
    max_size=30,
)
raw_body = st.one_of(
    st.binary(max_size=2000),
    st.just(b"\xff\xfe\xc3\x28\xa0\xa1" * 100),  # invalid UTF-8
    st.just(b"name=%ff%fe&text=%c3%28&token=%80"),
    st.just(b"option=1&option=2&option=999999999999999999999&option=x" * 50),
    st.just(json.dumps({"option": [1, {"a": [None]}], "text": 5}).encode()),
    st.just(b'--xyz\r\nContent-Disposition: form-data; name="text"\r\n\r\n' + b"A" * 10000),
)


@st.composite
def requests_for(draw, app_rules: list[tuple[Rule, str]]) -> tuple[str, str, dict]:
    rule, method = draw(st.sampled_from(app_rules))
    try:
        url = rule.build(draw(path_values(rule)), append_unknown=False)[1]
    except Exception:  # a value the converter refuses to build: use a plain one
        url = rule.build(
            {
                n: (1 if isinstance(c, IntegerConverter) else KEY)
                for n, c in rule._converters.items()
            }
        )[1]
    query = draw(
        st.lists(
            st.tuples(
                st.sampled_from(FIELDS + ["key", "v", "since", "view", "lang"]), field_values
            ),
            max_size=6,
        )
    )
    kwargs: dict = {"query_string": MultiDict(query), "headers": {}}
    if draw(st.booleans()):
        kwargs["headers"]["HX-Request"] = draw(st.sampled_from(["true", "false", "", "\u00e9"]))
    if draw(st.booleans()):
        kwargs["headers"]["Origin"] = draw(
            st.sampled_from(["null", "http://localhost", "http://e.x", "::"])
        )
    if method != "GET":
        if draw(st.booleans()):
            kwargs["data"] = draw(form_body)
        else:
            kwargs["data"] = draw(raw_body)
            kwargs["content_type"] = draw(st.sampled_from(CONTENT_TYPES))
    return method, url, kwargs


def plain_url(rule: Rule) -> str:
    """``rule`` with ordinary path values: id 1, the seeded thread key, an allowed choice."""
    return rule.build(
        {
            n: (1 if isinstance(c, IntegerConverter) else KEY)
            if not isinstance(c, AnyConverter)
            else sorted(c.items)[0]
            for n, c in rule._converters.items()
        }
    )[1]


def logged_in_admin(app: Flask) -> StaffClient:
    make_staff(app, "fuzz-admin", Role.ADMIN)
    staff = StaffClient(app.test_client())
    assert staff.login("fuzz-admin").status_code == 303
    return staff


def seed(app: Flask) -> dict[str, str]:
    """A poll, a thread with comments; valid tokens the fuzzer may send."""
    poll_id = make_poll(app)
    thread_id = make_thread(app)
    make_comment(app, thread=thread_id)
    make_comment(app, thread=thread_id, status=CommentStatus.REVIEW)
    with app.test_request_context():
        return {
            "vote": make_form_token("vote", poll_id),
            "comment": make_form_token("comment", thread_id),
        }


def check(reply, method: str, url: str) -> None:
    body = reply.get_data()
    # A file response (embed.js, static files) holds its file open until closed.
    reply.close()
    # 501 is oEmbed's deliberate answer for a format other than JSON.
    deliberate = reply.status_code == 501 and url.startswith("/oembed")
    assert reply.status_code < 500 or deliberate, (method, url, reply.status_code, body[:300])
    assert b"Traceback" not in body


@settings(
    max_examples=700,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_random_requests_to_every_route_never_get_a_5xx(fuzz_app: Flask, data) -> None:
    app = fuzz_app
    if "fuzz" not in app.extensions:
        app.extensions["fuzz"] = (rules(app), seed(app), logged_in_admin(app))
    app_rules, tokens, admin = app.extensions["fuzz"]
    method, url, kwargs = data.draw(requests_for(app_rules))
    if isinstance(kwargs.get("data"), list) and data.draw(st.booleans()):
        kwargs["data"].append(("token", tokens["vote" if "/w/poll" in url else "comment"]))
    if isinstance(kwargs.get("data"), list):
        kwargs["data"] = MultiDict(kwargs["data"])
    client = app.test_client()
    if url.startswith("/staff") and data.draw(st.booleans()):
        client = admin.client
        kwargs["headers"]["X-CSRFToken"] = admin.token
    check(client.open(url, method=method, **kwargs), method, url)


def test_every_route_with_each_nasty_body(fuzz_app: Flask) -> None:
    app = fuzz_app
    tokens = seed(app)
    admin = logged_in_admin(app)
    csrf = {"X-CSRFToken": admin.token}
    nasty = [
        {"data": b"x=" + b"A" * 3_000_000, "content_type": CONTENT_TYPES[0]},
        {"data": b"\xff\xfe\xfa" * 1000, "content_type": CONTENT_TYPES[0]},
        {"data": MultiDict([("option", str(i)) for i in range(3000)])},
        {"data": MultiDict([("text", "a"), ("text", "b"), ("name", ""), ("name", "x" * 100_000)])},
        {"data": {"token": tokens["comment"], "text": "\x00" * 10, "name": "\ud7ff"}},
        {"data": {"token": tokens["vote"], "option": ["1", "1", "1", "2"]}},
        {"data": b'{"a": [' * 5000, "content_type": "application/json"},
        {"data": b"--xyz\r\n" * 20000, "content_type": CONTENT_TYPES[1]},
    ]
    count = 0
    for rule, method in rules(app):
        url = plain_url(rule)
        for body in nasty if method != "GET" else [{}]:
            for client, headers in ((app.test_client(), {}), (admin.client, csrf)):
                check(client.open(url, method=method, headers=headers, **body), method, url)
                count += 1
    assert count > 100


@pytest.mark.parametrize("number", [2**31, 2**63, 10**30])
def test_ids_past_the_database_range_are_404(fuzz_app: Flask, number: int) -> None:
    client = fuzz_app.test_client()
    assert client.get(f"/w/poll/{number}").status_code == 404
    assert client.post(f"/w/comments/{KEY}/-/{number}/like").status_code == 404
    assert client.get(f"/w/poll/{2**31 - 1}").status_code == 404  # the last id still matches


@pytest.mark.parametrize(
    "body", [b'{"a": [' * 5000, b"[1, 2]", b"5", b'"text"', b"null", b'{"option": {"x": 1}}']
)
def test_json_bodies_on_form_routes_are_a_400(fuzz_app: Flask, body: bytes) -> None:
    poll_id = make_poll(fuzz_app)
    client = fuzz_app.test_client()
    for url in (f"/w/poll/{poll_id}/vote", f"/w/comments/{KEY}", "/staff/login"):
        reply = client.post(url, data=body, content_type="application/json")
        assert reply.status_code == 400, (url, reply.status_code)


def test_nul_characters_are_dropped_from_forms_and_queries(fuzz_app: Flask) -> None:
    from tests.support.comments import Commenting, comment_rows

    make_thread(fuzz_app)
    reader = Commenting(fuzz_app.test_client())
    reply = reader.post(text="Текст\x00 с нулём", name="Имя\x00", htmx=False)
    assert reply.status_code == 303
    (comment,) = comment_rows(fuzz_app)
    assert (comment.text, comment.author_name) == ("Текст с нулём", "Имя")
    admin = logged_in_admin(fuzz_app)
    assert admin.get("/staff/queue?q=a\x00b&thread=\x00").status_code == 200


def _parameter_names() -> list[str]:
    """Every query or form parameter name the code and the templates use, read from source:
    the fuzzer sends hostile values under the names the views really read."""
    root = Path(__file__).resolve().parents[2]
    patterns = [
        re.compile(r"(?:args|form)\.(?:get|getlist)\(\s*\"([\w-]+)\""),
        re.compile(r"(?:args|form)\[\s*\"([\w-]+)\"\s*\]"),
        re.compile(r"^\s+(\w+)\s*=\s*\w*Field\(", re.MULTILINE),
    ]
    names: set[str] = set()
    for path in (root / "polls_site").rglob("*.py"):
        source = path.read_text()
        for pattern in patterns:
            names.update(pattern.findall(source))
    for path in (root / "templates").rglob("*.html"):
        names.update(re.findall(r'name="([\w-]+)"', path.read_text()))
    # The views read dozens of names; a handful means the source was not found.
    assert len(names) > 30, names
    return sorted(names)


PARAMETERS = _parameter_names()
# What reached a view unguarded before (a 500 each): ids past any integer column, digits
# that str.isdigit() accepts and int() refuses, files where text is expected, huge text.
HOSTILE_VALUES = st.one_of(
    st.sampled_from(
        [
            "99999999999999999999",
            "-99999999999999999999",
            str(2**63),
            str(2**31),
            "²",
            "¹²³",
            "٣",
            "１２",
            "1_000",
            " 7 ",
            "1.5",
            "-0",
            "0x10",
            "1e400",
            "x" * 5000,
            "",
        ]
    ),
    st.integers(-(2**80), 2**80).map(str),
    st.text(max_size=30),
)


@st.composite
def hostile_request(draw, rule: Rule, method: str) -> tuple[str, dict]:
    """One request to ``rule`` with hostile values under the parameter names the code reads."""
    url = plain_url(rule)

    # Each name is sent or not, so that every example reaches most of what a view reads
    # and a refusal of one parameter does not always hide the handling of another.
    def some_parameters() -> MultiDict:
        return MultiDict([(n, draw(HOSTILE_VALUES)) for n in PARAMETERS if draw(st.booleans())])

    names = st.sampled_from(PARAMETERS)
    kwargs: dict = {"query_string": some_parameters()}
    if method != "GET":
        data = some_parameters()
        if draw(st.booleans()):  # a file where every form of ours has only text
            data.add(draw(names), (io.BytesIO(draw(st.binary(max_size=200))), "x.bin"))
        kwargs["data"] = data
    return url, kwargs


def _routes() -> list[tuple[str, str]]:
    """(rule, method) of every route, read from an app that connects to nothing."""
    app = create_app(
        {"TESTING": True, "DATABASE_URL": "sqlite://", "REDIS_URL": "redis://127.0.0.1:1/0"}
    )
    return sorted({(str(rule), method) for rule, method in rules(app)})


@pytest.mark.parametrize("rule_text, method", _routes())
@settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_every_route_with_hostile_parameters(fuzz_app: Flask, rule_text, method, data) -> None:
    """Each route, a fixed number of examples, as a reader and as a logged-in admin."""
    app = fuzz_app
    if "fuzz" not in app.extensions:
        app.extensions["fuzz"] = (
            {str(r): r for r, _ in rules(app)},
            seed(app),
            logged_in_admin(app),
        )
    by_text, tokens, admin = app.extensions["fuzz"]
    url, kwargs = data.draw(hostile_request(by_text[rule_text], method))
    if "data" in kwargs and data.draw(st.booleans()):
        kwargs["data"].add("token", tokens["vote" if "/w/poll" in url else "comment"])
    client, headers = app.test_client(), {}
    if url.startswith("/staff") and data.draw(st.booleans()):
        client, headers = admin.client, {"X-CSRFToken": admin.token}
    check(client.open(url, method=method, headers=headers, **kwargs), method, url)


@pytest.mark.parametrize(
    "value, expected",
    [
        ("1", 1),
        ("007", 7),
        (str(2**31 - 1), 2**31 - 1),
        (str(2**31), None),
        ("99999999999999999999", None),
        ("0", None),
        ("-1", None),
        ("²", None),
        ("٣", None),
        ("１２", None),
        ("1_000", None),
        (" 7", None),
        ("", None),
        (None, None),
        (7, 7),
        (True, None),
    ],
)
def test_parse_id_takes_ascii_ids_in_the_database_range(value, expected) -> None:
    assert parse_id(value) == expected


def test_the_inputs_that_were_500s(fuzz_app: Flask) -> None:
    """Found by the review and by the fuzzer above; each is a deliberate answer now."""
    seed(fuzz_app)
    admin = logged_in_admin(fuzz_app)
    client = fuzz_app.test_client()
    for reply in ("99999999999999999999", "-99999999999999999999", str(2**63), "²"):
        assert client.get(f"/w/comments/{KEY}", query_string={"reply": reply}).status_code == 200
    poll_url = f"/staff/polls/{make_poll(fuzz_app)}"
    csrf = {"X-CSRFToken": admin.token}
    assert admin.client.post(poll_url, data={"row": "²"}, headers=csrf).status_code < 500
    file_in_text = {"question": (io.BytesIO(b"\x89PNG"), "photo.png")}
    assert admin.client.post(poll_url, data=file_in_text, headers=csrf).status_code == 400
    comment_file = {"text": (io.BytesIO(b"x"), "a.txt"), "name": "Айгуль"}
    assert client.post(f"/w/comments/{KEY}", data=comment_file).status_code == 400
    huge = {"page": "99999999999999999999", "offset": "99999999999999999999"}
    assert admin.get("/staff/queue", query_string=huge).status_code == 200
    assert client.get("/polls/", query_string=huge).status_code in {200, 404}
    assert client.get(f"/w/comments/{KEY}", query_string=huge).status_code == 200
