"""What the portal uses to embed the widgets: embed.js, the current poll, themes, oEmbed."""

from __future__ import annotations

import sqlalchemy as sa
from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    jsonify,
    redirect,
    request,
    send_from_directory,
    url_for,
)
from flask_babel import gettext as _
from werkzeug.exceptions import NotFound

from .. import lifecycle
from ..errors import render_error
from ..extensions import db
from ..models import Poll, PollStatus
from .oembed import poll_embed, poll_id_for_url
from .theme import accent_css, parse_theme

bp = Blueprint("embed", __name__)

# How long browsers and CDNs may keep embed.js and theme stylesheets.
EMBED_JS_MAX_AGE = 3600
THEME_CSS_MAX_AGE = 86400
# The portal section whose current poll data-poll="current" shows by default (the sidebar).
CURRENT_SECTION = "main"


def current_poll_id(section: str = CURRENT_SECTION) -> int | None:
    """The poll a portal section's "Наш опрос" shows: the one editors marked as the
    section's current poll, else the newest open poll, else the newest published one."""
    marked = lifecycle.current_poll_id(section)
    if marked is not None:
        return marked
    polls = db.session.scalars(
        sa.select(Poll)
        .where(Poll.status != PollStatus.DRAFT)
        .order_by(sa.func.coalesce(Poll.opens_at, Poll.created_at).desc(), Poll.id.desc())
        .limit(50)
    ).all()
    open_polls = [p for p in polls if p.voting_state() == "open"]
    chosen = (open_polls or polls or [None])[0]
    return chosen.id if chosen else None


@bp.get("/embed.js")
def embed_js() -> Response:
    """The one script a portal includes: turns data-poll / data-comments divs into iframes."""
    return send_from_directory(current_app.static_folder, "embed.js", max_age=EMBED_JS_MAX_AGE)


@bp.get("/w/poll/current")
def current_poll() -> Response:
    """Redirect to the widget of a section's current poll (``?section=``, "main" by default;
    theme and language go along)."""
    section = request.args.get("section", CURRENT_SECTION)
    if not lifecycle.valid_section(section):
        return render_error(
            400,
            _(
                "This portal section name is not valid: use 1 to 40 lowercase Latin "
                "letters, digits and dashes."
            ),
        )
    poll_id = current_poll_id(section)
    if poll_id is None:
        abort(404)
    response = redirect(url_for("polls.show", poll_id=poll_id))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/w/theme.css")
def theme_css() -> Response:
    """The accent colour of a themed widget, as a stylesheet (the CSP allows no inline style)."""
    theme = parse_theme(request.args)
    if theme.accent is None:
        abort(404)
    response = Response(accent_css(theme), mimetype="text/css")
    response.headers["Cache-Control"] = f"public, max-age={THEME_CSS_MAX_AGE}"
    return response


@bp.get("/oembed")
def oembed() -> tuple[Response, int] | Response:
    """oEmbed endpoint: JSON for one of our poll URLs; 404 for others, 501 for other formats."""
    if request.args.get("format", "json") != "json":
        return jsonify({"error": "only format=json is supported"}), 501
    url = request.args.get("url", "")
    # Our own URLs name PUBLIC_URL's host when it is set (SERVER_NAME), not the request's.
    host = current_app.config["SERVER_NAME"] or request.host
    poll_id = poll_id_for_url(url, host, request.scheme)
    try:
        if poll_id is None:
            raise NotFound()
        embed = poll_embed(poll_id, request.args.get("maxwidth"), request.args.get("maxheight"))
    except NotFound:
        return jsonify({"error": "not an embeddable URL of this site"}), 404
    return jsonify(embed)
