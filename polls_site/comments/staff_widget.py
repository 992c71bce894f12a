"""A staff member's post from inside the widget: published at once with their badge.

Reached only when `staff_voice.widget_voice` names a staff member (their session cookie
came with the request); the form's name field is not read: the name is their display name.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Response, redirect, url_for
from flask_babel import gettext as _

from ..core.htmx import is_htmx
from ..core.metrics import count_comment
from .forms import CommentForm
from .screens import widget_response
from .staff_voice import StaffVoice, post_staff_comment
from .threads import ThreadInfo, fresh_thread

Refuse = Callable[..., Response]


def post_as_staff(
    thread: ThreadInfo, voice: StaffVoice, form: CommentForm, refuse: Refuse, closed: str
) -> Response:
    """Validate and store ``voice``'s comment; back to the thread at it, or the refusal."""
    form.name.data = voice.name
    if not form.validate():
        return refuse(422, "invalid")
    fresh = fresh_thread(thread.id) or thread
    if fresh.is_closed():
        # The widget shows no form on a closed thread; the staff thread page still posts.
        return refuse(403, "closed", closed)
    comment_id = post_staff_comment(fresh, voice, form.text.data, form.parent.data)
    if comment_id is None:
        return refuse(
            422, "no_parent", _("The comment you are replying to is no longer available.")
        )
    count_comment("staff")
    target = url_for(".show", thread_key=thread.key, published=1, _anchor=f"comment-{comment_id}")
    if is_htmx():
        # The whole page again: the published comment is in the list, not in a partial.
        response = widget_response("", 204)
        response.headers["HX-Redirect"] = target
        return response
    return redirect(target, code=303)
