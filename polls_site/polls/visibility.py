"""Who may see a poll's results, and when: the one rule every surface asks.

The widget, its partials and their caches, the JSON API, the archive and its method
card all call these functions instead of reading ``results_visibility`` themselves, so
a poll whose setting hides its results shows no count, share or total anywhere.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from ..models import ResultsVisibility


class HasVisibility(Protocol):
    """A poll as these rules read it: a ``PollInfo`` or the ORM ``Poll`` alike."""

    results_visibility: str

    def voting_state(self, now: datetime | None = None) -> str: ...


def results_visible(poll: HasVisibility, now: datetime | None, has_voted: bool = False) -> bool:
    """May a reader (who has voted, or not) see the poll's results at ``now``?

    ``always``: yes. ``never``: no (editors see them in the staff area). ``after_close``:
    once voting is over. ``after_vote``: to a reader who voted, and to everyone once
    voting is over (the outcome is then published like any closed poll's).
    """
    visibility = poll.results_visibility
    if visibility == ResultsVisibility.ALWAYS:
        return True
    if visibility == ResultsVisibility.NEVER:
        return False
    if poll.voting_state(now) == "closed":
        return True
    return has_voted and visibility == ResultsVisibility.AFTER_VOTE


def results_public(poll: HasVisibility, now: datetime | None = None) -> bool:
    """May anyone see the results right now, without having voted?"""
    return results_visible(poll, now, has_voted=False)


def publicly_cacheable(poll: HasVisibility) -> bool:
    """May a shared cache (CDN, proxy) keep the poll's results partials and 204 answers?

    Never for ``after_vote`` and ``never`` polls: what one reader is shown there depends
    on who they are (or must be shown to nobody), so a shared copy could reach a reader
    who may not see it.
    """
    return poll.results_visibility not in (ResultsVisibility.AFTER_VOTE, ResultsVisibility.NEVER)


def results_cache_control(poll: HasVisibility, max_age: int) -> str:
    """The Cache-Control of a public results answer (partial or 204) of ``poll``."""
    if publicly_cacheable(poll):
        return f"public, max-age={max_age}"
    return "private, no-store"
