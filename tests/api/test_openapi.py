"""The public API's OpenAPI description: it validates, and generated requests find no 500s."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from openapi_spec_validator import validate

from polls_site.core.db import db
from polls_site.demo.seed import seed_demo
from polls_site.models import Poll
from polls_site.polls.sections import mark_current
from tests.support.factories import make_poll


def test_openapi_document_validates_and_lists_the_api(client) -> None:
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    document = response.get_json()
    validate(document)  # raises on an invalid OpenAPI 3.1 document
    assert document["openapi"] == "3.1.0"
    assert set(document["paths"]) == {
        "/api/polls",
        "/api/polls/current",
        "/api/polls/{poll_id}/results",
        "/api/comments/count",
    }


def test_current_poll_of_a_section(app, client) -> None:
    assert client.get("/api/polls/current?section=main").status_code == 404
    poll_id = make_poll(app)
    # Nobody marked it, but the widget shows the newest open poll: the API answers the same.
    assert client.get("/api/polls/current?section=main").get_json() == {
        "id": poll_id,
        "section": "main",
    }
    newer_id = make_poll(app)
    with app.app_context():
        mark_current(db.session.get(Poll, poll_id), "main")
        db.session.commit()
    assert newer_id != poll_id
    assert client.get("/api/polls/current").get_json() == {"id": poll_id, "section": "main"}
    # Found by schemathesis: a NUL byte reached PostgreSQL and failed there.
    assert client.get("/api/polls/current?section=%00").status_code == 400
    assert client.get("/api/polls/current?section=" + "x" * 41).status_code == 400


def test_huge_poll_ids_are_not_found_not_errors(client) -> None:
    assert client.get(f"/api/polls/{2**63}/results").status_code == 404
    assert client.get(f"/w/poll/{2**40}").status_code == 404


@pytest.fixture
def seeded_app(app):
    with app.app_context():
        seed_demo()
    return app


def test_generated_requests_find_no_server_errors(seeded_app) -> None:
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", seeded_app)
    seen = 0
    for operation in schema.get_all_operations():
        strategy = operation.ok().as_strategy()

        @settings(
            max_examples=40,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=strategy)
        def check(case) -> None:
            response = case.call()
            assert response.status_code < 500, (case.path, case.query, response.status_code)

        check()
        seen += 1
    assert seen == 4
