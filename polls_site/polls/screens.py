"""What the poll widget shows one reader: the form, the results, or why neither."""

from __future__ import annotations

from dataclasses import dataclass

from flask import request
from flask_babel import gettext as _

from ..widget.notices import Notice
from ..widget.voters import Voter, make_form_token
from .cache import PollInfo
from .service import ResultsView, own_ballot, results_view
from .visibility import results_public, results_visible


@dataclass
class PollScreen:
    """What the widget shows to one reader."""

    poll: PollInfo
    mode: str  # form, results, thanks, not_open, hidden
    results: ResultsView | None = None
    selected: tuple[int, ...] = ()
    notices: tuple[Notice, ...] = ()
    can_show_results: bool = False
    can_vote: bool = False
    # The poll allows changes, is open and this reader has voted: «Изменить голос».
    can_change: bool = False
    # The reader's own ballot: they voted, and for what (marked in the results).
    voted: bool = False
    own_choice: tuple[int, ...] = ()

    def content_key(self) -> tuple:
        """Everything the screen's HTML is made of (with the request's ``variant``), so
        that equal keys render equal HTML; only for screens without a vote form, whose
        token is fresh on every render."""
        if self.mode == "form":
            raise ValueError("a form screen carries a fresh token: it has no content key")
        return (
            self.poll,
            self.mode,
            self.results,
            self.selected,
            self.notices,
            self.can_show_results,
            self.can_vote,
            self.can_change,
            self.voted,
            self.own_choice,
        )

    @property
    def token(self) -> str:
        """A fresh vote token, made only when the form is actually rendered."""
        return make_form_token("vote", self.poll.id)


def screen_for(
    poll: PollInfo,
    voter: Voter | None,
    *,
    want_results: bool = False,
    want_change: bool = False,
    own: tuple[int, list[int]] | None = None,
    notices: tuple[Notice, ...] = (),
    selected: tuple[int, ...] = (),
    look_up_own: bool = True,
) -> PollScreen:
    """What ``voter`` sees of ``poll``: the form, the results, or why neither.

    ``look_up_own=False`` (``voter`` may then be None): the page a reader who names no
    identity gets, the same for everyone (a cookie-less reader who voted is recognised
    when they vote again, and by their stored identity where the script keeps one).
    ``want_change``: a reader who voted and may change it gets the form, their current
    choice preselected.
    """
    state = poll.voting_state()
    if own is None and look_up_own and voter is not None:
        own = own_ballot(poll.id, voter)
    screen = PollScreen(poll=poll, mode="form", notices=notices, selected=selected)
    screen.can_change = state == "open" and own is not None and poll.allow_vote_change
    if state == "not_open_yet":
        screen.mode = "not_open"
    elif screen.can_change and (want_change or selected):
        # Changing: the form, with the current choice (or the refused new one) marked.
        screen.selected = selected or tuple(own[1])
    elif own is not None or state == "closed" or want_results:
        if results_visible(poll, None, has_voted=own is not None):
            screen.mode = "results"
            screen.results = results_view(poll, own)
        elif own is not None:
            screen.mode = "thanks"
        elif state == "closed":
            screen.mode = "hidden"
    screen.can_vote = state == "open" and own is None
    if own is not None:
        screen.voted, screen.own_choice = True, tuple(own[1])
    if screen.mode == "form":
        screen.can_show_results = results_public(poll)
    # A reader changing their vote sees the form: "you have voted" there would read as a refusal.
    changing = screen.mode == "form" and screen.can_change
    if own is not None and not notices and not changing:
        screen.notices = (Notice("info", _("You have voted in this poll.")),)
    elif state == "closed" and not notices:
        screen.notices = (Notice("info", _("The poll is closed.")),)
    return screen


def thank_after_redirect(screen: PollScreen) -> None:
    """After a vote without JavaScript (a redirect with ``done``), thank the reader."""
    done = request.args.get("done")
    if done and screen.mode in {"results", "thanks"}:
        if done == "changed":
            screen.notices = (Notice("success", _("Your vote has been changed.")),)
        else:
            screen.notices = (Notice("success", _("Thank you! Your vote has been counted.")),)
