"""The thread page's comments: staff write as staff (published at once, with their
badge), pin and unpin, mark and unmark editor's picks. Moderators and above."""

from __future__ import annotations

from flask import Response, abort, flash, redirect, url_for
from flask_babel import gettext as _

from ...comments.staff_voice import post_staff_comment
from ...comments.threads import thread_info
from ...core.db import db
from ...models import Comment, Role, Thread
from ..auth import current_staff, staff_required
from ..blueprint import bp
from .features import apply_feature
from .forms import StaffCommentForm
from .routes import page, thread_or_404
from .voice import voice_of


def _back(thread: Thread, comment_id: int | None = None) -> Response:
    anchor = f"staff-comment-{comment_id}" if comment_id else None
    return redirect(url_for("staff.thread_page", thread_id=thread.id, _anchor=anchor), code=303)


@bp.post("/threads/<int:thread_id>/comments")
@staff_required(Role.MODERATOR)
def staff_comment(thread_id: int) -> Response:
    """Publish a comment or reply as the logged-in staff member, with their badge."""
    thread = thread_or_404(thread_id)
    form = StaffCommentForm()
    if not form.validate():
        return page(thread, 422, comment_form=form)
    comment_id = post_staff_comment(
        thread_info(thread), voice_of(current_staff()), form.text.data, form.parent.data
    )
    if comment_id is None:
        form.parent.errors = [_("The comment you are replying to is no longer available.")]
        return page(thread, 422, comment_form=form)
    flash(_("Your comment is published."), "success")
    return _back(thread, comment_id)


_DONE = {
    "pin": lambda: _("The comment is pinned: it comes first in the thread."),
    "unpin": lambda: _("The comment is no longer pinned."),
    "pick": lambda: _("The comment is marked as an editor's pick."),
    "unpick": lambda: _("The comment is no longer an editor's pick."),
}
_REFUSED = {
    "unpublished": (409, lambda: _("Only a published comment can be pinned or picked.")),
    "reply": (422, lambda: _("Only a top-level comment can be pinned.")),
    "stale": (409, lambda: _("A moderator has just changed this comment. Please reload.")),
}


@bp.post(
    "/threads/<int:thread_id>/comments/<int:comment_id>/<any(pin, unpin, pick, unpick):action>"
)
@staff_required(Role.MODERATOR)
def feature(thread_id: int, comment_id: int, action: str) -> Response:
    """Pin, unpin, pick or unpick one comment of the thread (audit-logged)."""
    thread = thread_or_404(thread_id)
    comment = db.session.get(Comment, comment_id)
    if comment is None or comment.thread_id != thread.id:
        abort(404)
    outcome = apply_feature(comment, thread, action)
    if outcome in _REFUSED:
        status, message = _REFUSED[outcome]
        flash(message(), "error")
        return page(thread, status)
    if outcome == "done":
        flash(_DONE[action](), "success")
    return _back(thread, comment.id)
