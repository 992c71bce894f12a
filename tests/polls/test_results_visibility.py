"""The one results-visibility rule (polls/visibility.py), as a table over every setting."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import pytest

from polls_site.polls.visibility import (
    publicly_cacheable,
    results_cache_control,
    results_public,
    results_visible,
)


@dataclass(frozen=True)
class FakePoll:
    """Only what the rule reads: the setting and the voting state."""

    results_visibility: str
    state: str

    def voting_state(self, now: datetime | None = None) -> str:
        return self.state


# (setting, voting state) -> (visible to a reader who has not voted, to one who has)
RULE = {
    ("always", "not_open_yet"): (True, True),
    ("always", "open"): (True, True),
    ("always", "closed"): (True, True),
    ("after_vote", "not_open_yet"): (False, True),
    ("after_vote", "open"): (False, True),
    ("after_vote", "closed"): (True, True),
    ("after_close", "not_open_yet"): (False, False),
    ("after_close", "open"): (False, False),
    ("after_close", "closed"): (True, True),
    ("never", "not_open_yet"): (False, False),
    ("never", "open"): (False, False),
    ("never", "closed"): (False, False),
}


@pytest.mark.parametrize(("setting", "state"), sorted(RULE))
def test_who_sees_the_results(setting: str, state: str) -> None:
    poll = FakePoll(setting, state)
    anyone, voter = RULE[(setting, state)]
    assert results_visible(poll, None, has_voted=False) is anyone
    assert results_visible(poll, None, has_voted=True) is voter
    assert results_public(poll) is anyone


@pytest.mark.parametrize(
    ("setting", "cacheable"),
    [("always", True), ("after_close", True), ("after_vote", False), ("never", False)],
)
def test_partials_of_after_vote_and_never_polls_are_never_publicly_cacheable(
    setting: str, cacheable: bool
) -> None:
    for state in ("open", "closed"):
        poll = FakePoll(setting, state)
        assert publicly_cacheable(poll) is cacheable
        header = results_cache_control(poll, 2)
        assert header == ("public, max-age=2" if cacheable else "private, no-store")
