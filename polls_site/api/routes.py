"""Read-only JSON API: the poll list, each poll's results, comment counts for list pages,
and the OpenAPI description of it all."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, Response, current_app, jsonify, request, url_for

from ..comments.counts import MAX_KEYS, comment_counts
from ..comments.keys import valid_thread_key
from ..core.db import db
from ..core.edge_cache import share_at_edge
from ..core.near_cache import near_cache
from ..models import Poll, PollStatus, ResultSnapshot, utcnow
from ..polls.sections import current_poll_id, valid_section
from ..polls.service import get_public_poll, results_view
from ..polls.visibility import results_public
from .openapi import openapi_document

bp = Blueprint("api", __name__, url_prefix="/api")


@bp.get("/polls")
def polls() -> Response:
    """Every published poll, newest first, with its counted total where results are public."""
    now = utcnow()
    rows = db.session.execute(
        sa.select(Poll, ResultSnapshot.total)
        .outerjoin(ResultSnapshot, ResultSnapshot.poll_id == Poll.id)
        .where(Poll.status != PollStatus.DRAFT)
        .order_by(Poll.id.desc())
    ).all()
    return jsonify(
        [
            {
                "id": poll.id,
                "question": poll.question,
                "status": poll.status,
                "results_public": results_public(poll, now),
                # The same rule as /results: a hidden poll's total is not published either.
                "total": (total or 0) if results_public(poll, now) else None,
            }
            for poll, total in rows
        ]
    )


@bp.get("/polls/current")
def current() -> tuple[Response, int] | Response:
    """The id of a portal section's current poll (``?section=``, "main" by default)."""
    section = request.args.get("section", "main")
    if not valid_section(section):
        return jsonify({"error": "bad_section"}), 400
    poll_id = current_poll_id(section)
    if poll_id is None:
        return jsonify({"error": "no_current_poll", "section": section}), 404
    return jsonify({"id": poll_id, "section": section})


@bp.get("/openapi.json")
def openapi() -> Response:
    """The OpenAPI 3.1 description of this API."""
    return jsonify(openapi_document(url_for("pages.index", _external=True).rstrip("/")))


@bp.get("/polls/<int:poll_id>/results")
def results(poll_id: int) -> tuple[Response, int] | Response:
    """The latest snapshot of one poll, options in display order (by share)."""
    poll = get_public_poll(poll_id)
    if not results_public(poll):
        return jsonify({"error": "results_hidden", "id": poll.id}), 403
    view = results_view(poll)
    return jsonify(
        {
            "id": poll.id,
            "question": poll.question,
            "status": poll.status,
            "total": view.total,
            "voters": view.voters,
            "options": [
                {
                    "id": line.option_id,
                    "text": line.text,
                    "votes": line.votes,
                    # null below the poll's minimum sample, as the widget shows no share
                    "percent": None if view.too_few else line.percent,
                }
                for line in view.lines
            ],
            "computed_at": view.computed_at.isoformat() if view.computed_at else None,
            "version": view.version,
        }
    )


@bp.get("/comments/count")
def comment_count() -> tuple[Response, int] | Response:
    """Approved-comment counts of the threads named by ``?key=`` (many at once)."""
    keys = request.args.getlist("key")
    if not keys:
        return jsonify({"error": "no_keys"}), 400
    if len(keys) > MAX_KEYS:
        return jsonify({"error": "too_many_keys", "max": MAX_KEYS}), 400
    bad = [key for key in keys if not valid_thread_key(key)]
    if bad:
        return jsonify({"error": "bad_key", "keys": bad[:10]}), 400
    # The same list page asks for the same keys many times a second: each process serves
    # the JSON it made for them for NEAR_CACHE_SECONDS (counts are public, as the
    # Cache-Control below says), so most requests cost no Redis round trip at all.
    body = near_cache().get_or_load(
        ("comment-counts", tuple(keys)),
        lambda: current_app.json.dumps(comment_counts(keys)) + "\n",
    )
    response = share_at_edge(Response(body, mimetype="application/json"))
    response.headers["Cache-Control"] = "public, max-age=10"
    # The portal's list pages ask from their own origin.
    origin = request.headers.get("Origin")
    if origin in current_app.config["EMBED_ALLOWED_ORIGINS"]:
        response.headers["Access-Control-Allow-Origin"] = origin
    response.headers["Vary"] = "Origin"
    return response
