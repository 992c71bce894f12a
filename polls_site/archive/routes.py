"""The public archive, "Все опросы": every published poll, and a page of its own for each."""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, render_template, request
from markupsafe import Markup

from ..core.converters import parse_count
from ..core.edge_cache import share_at_edge
from ..polls.screens import screen_for, thank_after_redirect
from ..polls.service import get_public_poll
from ..polls.visibility import results_public
from ..widget.voters import current_voter, reader_is_known
from .cache import archive_html
from .listing import archive_page, method_card

bp = Blueprint("archive", __name__, url_prefix="/polls")


@bp.get("/")
def index() -> Response:
    """One page of the archive, newest polls first."""
    page = parse_count(request.args.get("page"), 1)

    def render() -> str:
        listing = archive_page(page, current_app.config["ARCHIVE_PAGE_SIZE"])
        if listing is None:
            abort(404)
        return render_template("archive/index.html", listing=listing)

    response = share_at_edge(Response(archive_html(f"list:{page}", render)))
    response.headers["Cache-Control"] = "public, max-age=10"
    return response


@bp.get("/<int:poll_id>")
def show(poll_id: int) -> Response:
    """A poll's canonical page: the widget (votable while open) and, once closed, its method."""
    poll = get_public_poll(poll_id)

    def render_about() -> str:
        # No counts for a poll whose results are not published.
        closed = poll.voting_state() == "closed"
        card = method_card(poll) if closed and results_public(poll) else None
        return render_template("archive/_about.html", poll=poll, card=card)

    about = Markup(archive_html(f"poll:{poll_id}", render_about))
    known = reader_is_known() or bool(request.args.get("done"))
    screen = screen_for(poll, current_voter() if known else None, look_up_own=known)
    thank_after_redirect(screen)
    page = render_template(
        "archive/show.html", poll=poll, about=about, screen=screen, back="archive"
    )
    response = Response(page)
    if not known:
        share_at_edge(response)
    response.headers["Vary"] = "HX-Request, Cookie"
    response.headers["Cache-Control"] = "private, no-store"
    return response
