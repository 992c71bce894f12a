"""A reader voting through the poll widget with the test client (like flaskr's AuthActions)."""

from __future__ import annotations

import re

import pytest
from flask.testing import FlaskClient

from polls_site.widget.voters import NEW_VOTER, VOTER_HEADER

TOKEN_RE = re.compile(r'name="token" value="([^"]+)"')


class Voting:
    """Action helpers for the vote flow, like flaskr's AuthActions."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client
        self.tokens: dict[int, str] = {}

    def token(self, poll_id: int) -> str:
        """Open the widget and return the vote token it rendered."""
        page = self.client.get(f"/w/poll/{poll_id}").get_data(as_text=True)
        match = TOKEN_RE.search(page)
        assert match, "the widget rendered no vote form"
        return match.group(1)

    def vote(
        self,
        poll_id: int,
        *options: int,
        htmx: bool = True,
        token: str | None = None,
        headers: dict | None = None,
    ):
        """POST a vote for ``options`` with the token this reader's widget rendered."""
        if token is None:
            token = self.tokens.get(poll_id) or self.token(poll_id)
            self.tokens[poll_id] = token
        # As widget.js does with empty storage: ask for an identity (the cookie the
        # response sets then names this reader; a known reader's cookie wins).
        all_headers = {"HX-Request": "true", VOTER_HEADER: NEW_VOTER} if htmx else {}
        all_headers.update(headers or {})
        return self.client.post(
            f"/w/poll/{poll_id}/vote",
            data={"token": token, "option": [str(o) for o in options]},
            headers=all_headers,
        )


@pytest.fixture
def voting(client: FlaskClient) -> Voting:
    """Vote-flow helpers bound to the test client."""
    return Voting(client)
