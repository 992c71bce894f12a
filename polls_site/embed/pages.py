"""The site's own front page: what runs here and the current poll, embedded as on the portal."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, render_template

from ..core.db import db
from ..models import Poll, PollStatus
from ..polls.sections import current_poll_id

bp = Blueprint("pages", __name__)


@bp.get("/")
def index() -> str:
    """List the published polls, with the portal's current poll embedded in an iframe."""
    polls = db.session.scalars(
        sa.select(Poll).where(Poll.status != PollStatus.DRAFT).order_by(Poll.id.desc())
    ).all()
    featured_id = current_poll_id()
    featured = next((p for p in polls if p.id == featured_id), None)
    return render_template("pages/index.html", polls=polls, featured=featured)
