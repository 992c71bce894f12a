"""The poll's status in the editor: open, close (after a confirmation step), undo a close
within its window, reopen (admins only). Each change is audit-logged with the status and
closing time before and after."""

from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from ...core.db import db
from ...core.htmx import is_htmx
from ...models import Poll, PollStatus, Role
from ...polls.lifecycle import (
    UNDO_CLOSE_SECONDS,
    can_undo_close,
    close_poll,
    open_poll,
    poll_changed,
    reopen_poll,
    undo_close,
)
from .. import audit
from ..auth import current_staff, has_role, staff_required
from ..blueprint import bp
from .forms import CurrentForm
from .routes import poll_or_404, status_context, stored_editor
from .store import last_editor_close


@bp.post("/polls/<int:poll_id>/status")
@staff_required(Role.EDITOR)
def set_status(poll_id: int) -> Response:
    """Open, close (after a confirmation step), undo a close within its window, or reopen
    (admins only)."""
    poll = poll_or_404(poll_id)
    action = request.form.get("action")
    before = {"status": str(poll.status), "closes_at": _iso(poll.closes_at)}
    if action == "open" and poll.status == PollStatus.DRAFT:
        if sum(1 for o in poll.options if not o.hidden) < 2:
            flash(_("A poll needs at least two visible options."), "error")
            return redirect(url_for("staff.edit_poll", poll_id=poll.id), code=303)
        open_poll(poll)
    elif action == "close" and poll.status == PollStatus.OPEN:
        if not request.form.get("confirmed"):
            return _confirm_close(poll)
        close_poll(poll)
    elif action == "undo_close":
        close = last_editor_close(poll.id)
        if close is None or not can_undo_close(poll, close.closed_at):
            message = _(
                "The close can no longer be undone: %(num)d seconds have passed, or the "
                "poll's status changed since. Only an admin can reopen the poll.",
                num=UNDO_CLOSE_SECONDS,
            )
            return stored_editor(poll, [message], 409)
        undo_close(poll, close.previous_closes_at)
        action = "close_undo"
    elif action == "reopen" and poll.status == PollStatus.CLOSED:
        if not has_role(current_staff(), Role.ADMIN):
            abort(403)
        reopen_poll(poll)
    else:
        flash(_("The poll cannot do that in its current state."), "error")
        return redirect(url_for("staff.edit_poll", poll_id=poll.id), code=303)
    audit.record(
        f"poll.{action}",
        "poll",
        poll.id,
        before,
        {"status": str(poll.status), "closes_at": _iso(poll.closes_at)},
    )
    db.session.commit()
    poll_changed(poll.id)
    if action == "close":
        flash(
            _(
                "The poll is closed. You can undo this for %(num)d seconds; after that "
                "only an admin can reopen it.",
                num=UNDO_CLOSE_SECONDS,
            ),
            "success",
        )
    else:
        flash(_("The poll's status is changed."), "success")
    return redirect(url_for("staff.edit_poll", poll_id=poll.id), code=303)


def _confirm_close(poll: Poll) -> Response:
    """The confirmation step of «close now»: the status section asks (htmx swaps only
    that section in; without JavaScript it is the editor page with the question)."""
    if is_htmx():
        return Response(
            render_template(
                "staff/polls/_status.html",
                poll=poll,
                current_form=CurrentForm(),
                **status_context(poll, True),
            )
        )
    return stored_editor(poll, (), 200, confirm_close=True)


def _iso(value) -> str | None:
    return value.isoformat() if value else None
