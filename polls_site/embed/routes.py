"""What the portal uses to embed the widgets: embed.js, the current poll, themes, oEmbed."""

from __future__ import annotations

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

from ..core.edge_cache import share_at_edge
from ..core.errors import render_error
from ..polls.sections import CURRENT_SECTION, current_poll_id, valid_section
from ..widget.theme import accent_css, accent_fingerprint, parse_theme
from .oembed import poll_embed, poll_id_for_url

bp = Blueprint("embed", __name__)

# How long browsers and CDNs may keep embed.js (its URL is fixed in portal pages).
EMBED_JS_MAX_AGE = 3600
# A theme stylesheet is a pure function of its URL, and the widget's link names its hash:
# at that URL it never changes. Without the hash (or an old one), a day.
THEME_CSS_IMMUTABLE = "public, max-age=31536000, immutable"
THEME_CSS_MAX_AGE = 86400
# The same bytes for every reader, for ever: the edge keeps it as long as it is asked for.
EDGE_THEME_SECONDS = 3600


@bp.get("/embed.js")
def embed_js() -> Response:
    """The one script a portal includes: turns data-poll / data-comments divs into iframes."""
    response = send_from_directory(current_app.static_folder, "embed.js", max_age=EMBED_JS_MAX_AGE)
    return share_at_edge(response)


@bp.get("/w/poll/current")
def current_poll() -> Response:
    """Redirect to the widget of a section's current poll (``?section=``, "main" by default;
    theme and language go along)."""
    section = request.args.get("section", CURRENT_SECTION)
    if not valid_section(section):
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
    # The same for every reader of the section: the edge may share it for a second.
    response = share_at_edge(redirect(url_for("polls.show", poll_id=poll_id)))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/w/theme.css")
def theme_css() -> Response:
    """The accent colour of a themed widget, as a stylesheet (the CSP allows no inline style)."""
    theme = parse_theme(request.args)
    if theme.accent is None:
        abort(404)
    response = Response(accent_css(theme), mimetype="text/css")
    if request.args.get("v") == accent_fingerprint(theme):
        response.headers["Cache-Control"] = THEME_CSS_IMMUTABLE
    else:
        response.headers["Cache-Control"] = f"public, max-age={THEME_CSS_MAX_AGE}"
    return share_at_edge(response, EDGE_THEME_SECONDS)


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
