"""The site's own front page: what runs here and a poll embedded as the portal embeds it."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, render_template

from .extensions import db
from .models import Poll, PollStatus

bp = Blueprint("pages", __name__)


@bp.get("/")
def index() -> str:
    """List the published polls, with the newest open one embedded in an iframe."""
    polls = db.session.scalars(
        sa.select(Poll).where(Poll.status != PollStatus.DRAFT).order_by(Poll.id.desc())
    ).all()
    featured = next((p for p in polls if p.voting_state() == "open"), None)
    return render_template("pages/index.html", polls=polls, featured=featured)
