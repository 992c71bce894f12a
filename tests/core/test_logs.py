"""Structured logs: a JSON line per request and per job, sharing the request id."""

from __future__ import annotations

import json
import logging
import re
from datetime import UTC, datetime

import pytest

from polls_site.core.logs import JsonFormatter, iso_millis
from tests.support.app import drain_queue
from tests.support.factories import KEY, make_comment, make_thread, option_ids
from tests.support.polls import Voting


def json_lines(caplog) -> list[dict]:
    formatter = JsonFormatter()
    return [json.loads(formatter.format(r)) for r in caplog.records]


def test_request_line_carries_the_request_id_and_no_ip(app, client, poll_id, caplog) -> None:
    with caplog.at_level(logging.INFO, logger="polls_site.request"):
        response = client.get(
            f"/w/poll/{poll_id}",
            headers={"X-Request-ID": "edge-42"},
            environ_base={"REMOTE_ADDR": "203.0.113.77"},
        )
    assert response.headers["X-Request-ID"] == "edge-42"
    line = next(r for r in json_lines(caplog) if r["msg"] == "request")
    assert line["path"] == f"/w/poll/{poll_id}" and line["status"] == 200
    assert line["endpoint"] == "polls.show" and line["ms"] >= 0
    assert "203.0.113.77" not in json.dumps(line)


def test_a_forged_request_id_is_replaced(client) -> None:
    response = client.get("/healthz", headers={"X-Request-ID": "bad id; with spaces!"})
    assert len(response.headers["X-Request-ID"]) == 32


def test_the_vote_request_id_reaches_the_job_log(app, poll_id, caplog) -> None:
    reader = Voting(app.test_client())
    reader.vote(poll_id, option_ids(app, poll_id)[0], headers={"X-Request-ID": "vote-7"})
    with caplog.at_level(logging.INFO, logger="polls_site.polls.jobs"):
        drain_queue(app)
    job_line = next(r for r in json_lines(caplog) if r["msg"] == "poll recomputed")
    assert job_line["request_id"] == "vote-7"
    assert job_line["poll_id"] == poll_id and job_line["job_id"]


def test_unchanged_results_polls_are_counted_not_logged(app, client, poll_id, caplog) -> None:
    from polls_site.polls.versions import publish_version

    with app.app_context():
        publish_version(poll_id, 3)
    with caplog.at_level(logging.INFO, logger="polls_site.request"):
        response = client.get(f"/w/poll/{poll_id}/results?v=3", headers={"HX-Request": "true"})
        client.get(f"/w/poll/{poll_id}")
    assert response.status_code == 204
    paths = [r["path"] for r in json_lines(caplog) if r["msg"] == "request"]
    assert paths == [f"/w/poll/{poll_id}"]


def test_unchanged_comment_threads_are_counted_not_logged(app, client, caplog) -> None:
    thread_id = make_thread(app)
    first = make_comment(app, thread=thread_id)
    page = client.get(f"/w/comments/{KEY}").get_data(as_text=True)
    url = re.search(r'hx-get="([^"]+/-/updates[^"]+)"', page).group(1).replace("&amp;", "&")
    with caplog.at_level(logging.INFO, logger="polls_site.request"):
        unchanged = client.get(url, headers={"HX-Request": "true"})
        make_comment(app, "второй", thread=thread_id)
        changed = client.get(url, headers={"HX-Request": "true"})
    assert f"since={first}" in url
    assert (unchanged.status_code, changed.status_code) == (204, 200)
    logged = [(r["endpoint"], r["status"]) for r in json_lines(caplog) if r["msg"] == "request"]
    assert logged[1:] == [("comments.updates", 200)]  # after the page itself


@pytest.mark.parametrize(
    "created",
    [0.0, 1.5, 1764650111.832, 1764650111.0004, 1764650112.999, 1764650112.25, 1764650113.9999996],
)
def test_iso_millis_writes_what_datetime_writes(created: float) -> None:
    expected = datetime.fromtimestamp(created, UTC).isoformat(timespec="milliseconds")
    assert iso_millis(created) == expected
    assert iso_millis(created) == expected  # the second time from the per-second prefix
