"""The poll widget: show, vote, results."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _

from ..core.edge_cache import share_at_edge
from ..core.htmx import is_htmx
from ..core.metrics import count_vote
from ..core.near_cache import near_cache
from ..core.session import csrf
from ..models import utcnow
from ..widget.html import cached_html, variant
from ..widget.notices import Notice, busy_refusal, expired_form_refusal
from ..widget.voters import (
    VOTER_HEADER,
    current_voter,
    issue_identity,
    reader_is_known,
    widget_post_age,
)
from .cache import page_key
from .forms import ballot_options, choice_error, read_choice
from .screens import PollScreen, screen_for, thank_after_redirect
from .service import (
    cast_vote,
    get_public_poll,
    own_ballot,
    published_version,
    results_view,
)
from .visibility import results_cache_control, results_public, results_visible

bp = Blueprint("polls", __name__, url_prefix="/w/poll")
# Widget POSTs carry a signed per-render token instead of the session-based one:
# inside a cross-site iframe the session cookie may never arrive.
csrf.exempt(bp)


def fingerprint_notice() -> str:
    """What a reader recognised only by network and browser is told, strength included."""
    return _(
        "Your browser keeps neither cookies nor site data for this widget, so a repeated "
        "vote is recognised by your network and browser: someone on the same network "
        "with the same browser may be told that they have already voted."
    )


def _cache_seconds() -> int:
    return current_app.config["POLL_CACHE_SECONDS"]


def _respond(screen: PollScreen, status: int = 200) -> Response:
    template = "polls/_poll.html" if is_htmx() else "polls/widget.html"

    def render() -> str:
        return render_template(template, screen=screen)

    if screen.mode == "form" and not screen.notices and not screen.selected:
        # What every new reader sees: rendered once per few seconds (its vote token
        # is not a secret; the Origin check is what stops cross-site posts). Under the
        # editor's revision: after a save, a process still holding the previous copy for
        # NEAR_CACHE_SECONDS stores its form where no reader of the new one looks.
        field = variant(template, screen.poll.revision)
        body = cached_html(page_key("form", screen.poll.id), field, render, _cache_seconds())
    else:
        body = render()
    response = Response(body, status=status)
    response.headers["Vary"] = f"HX-Request, Cookie, {VOTER_HEADER}"
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/<int:poll_id>")
def show(poll_id: int) -> Response:
    """The widget page: the vote form, or the results for a reader who has voted."""
    poll = get_public_poll(poll_id)
    want_change = request.args.get("view") == "change"
    # After a vote without script (?done), or asking to change it: this reader's own
    # page, even by fingerprint. Otherwise no identity is resolved at all.
    look_up_own = reader_is_known() or bool(request.args.get("done")) or want_change
    screen = screen_for(
        poll,
        current_voter() if look_up_own else None,
        want_results=request.args.get("view") == "results",
        want_change=want_change,
        look_up_own=look_up_own,
    )
    thank_after_redirect(screen)
    response = _respond(screen)
    if not look_up_own:
        # The page every reader who names no identity gets: the edge may share it.
        share_at_edge(response)
    return response


@bp.post("/<int:poll_id>/vote")
def vote(poll_id: int) -> Response:
    """Record the reader's vote; every refusal says why, with its own status code."""
    poll = get_public_poll(poll_id)
    # A reader whose script can keep an identity but has none gets one now (not on GET:
    # the form a new reader sees is the same for everyone).
    voter = current_voter(mint=True)
    chosen = read_choice(request.form.getlist("option"))
    selected = tuple(chosen)

    def refuse(status: int, outcome: str, message: str) -> Response:
        count_vote(outcome)
        screen = screen_for(poll, voter, notices=(Notice("error", message),), selected=selected)
        return _respond(screen, status)

    # How long the form was shown (the analytics' "faster than a person reads" signal);
    # None when the POST is not ours.
    read_seconds = widget_post_age(request.form.get("token"), "vote", poll.id)
    if read_seconds is None:
        return expired_form_refusal(refuse, "poll")
    state = poll.voting_state()
    if state == "closed":
        return refuse(410, "closed", _("Voting is over: the poll is closed."))
    if state == "not_open_yet":
        return refuse(409, "not_open", _("Voting has not started yet."))
    error = choice_error(chosen, poll)
    if error is not None:
        return refuse(422, "invalid", error)

    outcome = cast_vote(poll, voter, ballot_options(chosen), utcnow(), read_seconds=read_seconds)
    if outcome.kind == "duplicate":
        response = refuse(409, "duplicate", _("You have already voted in this poll."))
        issue_identity(response)
        return response
    if outcome.kind == "conflict":
        return refuse(
            409,
            "change_conflict",
            _(
                "Your vote was being changed in another tab at the same moment, and that "
                "change was saved first. Open the poll again to see your current choice."
            ),
        )
    busy = busy_refusal(outcome.kind, outcome.retry_after, refuse, "poll")
    if busy is not None:
        return busy

    changed = outcome.kind == "changed"
    count_vote(outcome.kind)
    if not is_htmx():
        # Back to the page the form was on: the widget, or the poll's archive page.
        page = "archive.show" if request.form.get("back") == "archive" else ".show"
        done = "changed" if changed else 1
        response = redirect(url_for(page, poll_id=poll.id, done=done), code=303)
        issue_identity(response)
        return response
    if changed:
        notices = [Notice("success", _("Your vote has been changed."))]
    else:
        notices = [Notice("success", _("Thank you! Your vote has been counted."))]
    if voter.by_fingerprint:
        notices.append(Notice("info", fingerprint_notice()))
    screen = screen_for(
        poll, voter, own=(outcome.ballot_id, outcome.chosen), notices=tuple(notices)
    )
    response = _thank(screen)
    issue_identity(response)
    return response


def _thank(screen: PollScreen) -> Response:
    """The fragment thanking a reader for their vote: their results (their own ballot
    added), rendered once per process and second for every reader whose screen is the
    same (the same results, choice and notices), so that most votes render nothing."""
    template = "polls/_poll.html"
    body = near_cache().get_or_load(
        ("thanks", screen.content_key(), variant(template)),
        lambda: render_template(template, screen=screen),
    )
    response = Response(body)
    response.headers["Vary"] = f"HX-Request, Cookie, {VOTER_HEADER}"
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/<int:poll_id>/results")
def results(poll_id: int) -> Response:
    """The results partial; 204 when the reader already shows the current version."""
    current = published_version(poll_id) if is_htmx() else None
    # The poll comes from the near cache or Redis (the 204 still needs no database):
    # whether a shared cache may keep the answer depends on its visibility setting.
    poll = get_public_poll(poll_id)
    if current is not None and current == request.args.get("v"):
        response = Response(status=204)
        response.headers["Cache-Control"] = results_cache_control(poll, 2)
        response.headers["Vary"] = "HX-Request"
        if results_public(poll):
            share_at_edge(response)
        return response
    if not is_htmx():
        known = reader_is_known()
        voter = current_voter() if known else None
        screen = screen_for(poll, voter, want_results=True, look_up_own=known)
        response = _respond(screen)
        if not known:
            share_at_edge(response)
        return response
    if results_public(poll):

        def render() -> str:
            return render_template("polls/_results.html", results=results_view(poll), poll=poll)

        if current is None:
            body = render()
        else:
            body = cached_html(
                page_key("results", poll.id), variant(current), render, _cache_seconds()
            )
        response = share_at_edge(Response(body))
        response.headers["Cache-Control"] = results_cache_control(poll, 2)
    else:
        own = own_ballot(poll.id, current_voter()) if reader_is_known() else None
        if own is None or not results_visible(poll, None, has_voted=True):
            response = Response(render_template("polls/_hidden.html", poll=poll), status=403)
        else:
            response = Response(
                render_template(
                    "polls/_results.html",
                    results=results_view(poll, own),
                    poll=poll,
                    own_choice=own[1],
                )
            )
        response.headers["Cache-Control"] = "private, no-store"
    response.headers["Vary"] = "HX-Request"
    return response
