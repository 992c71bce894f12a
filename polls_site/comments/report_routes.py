"""The widget's «Пожаловаться»: a small form page without JavaScript, swapped in by htmx."""

from __future__ import annotations

from flask import Response, redirect, render_template, url_for
from flask_babel import gettext as _

from ..core.clients import client_ip, limit_hash, network_hash
from ..core.htmx import is_htmx
from ..models import Comment
from ..notifications.events import comment_reported
from ..widget.notices import Notice, foreign_post_refusal, limit_refusal
from ..widget.voters import current_voter, issue_identity, make_form_token
from .access import existing_thread, published_comment
from .forms import ReportForm
from .limits import admit_report
from .reports import REASONS, file_report
from .routes import bp
from .screens import widget_response
from .threads import ThreadInfo


def _form(
    thread: ThreadInfo,
    comment: Comment,
    form: ReportForm,
    status: int = 200,
    notices: list[Notice] | None = None,
    done: bool = False,
) -> Response:
    context = {
        "thread": thread,
        "comment": comment,
        "form": form,
        "reasons": REASONS,
        "token": make_form_token("comment", thread.id),
        "notices": notices or [],
        "done": done,
    }
    template = "comments/_report_form.html" if is_htmx() else "comments/report.html"
    return widget_response(render_template(template, **context), status)


@bp.get("/<path:thread_key>/-/<int:comment_id>/report")
def report_form(thread_key: str, comment_id: int) -> Response:
    """The report form for one published comment."""
    thread = existing_thread(thread_key)
    return _form(thread, published_comment(thread, comment_id), ReportForm(formdata=None))


@bp.post("/<path:thread_key>/-/<int:comment_id>/report")
def report(thread_key: str, comment_id: int) -> Response:
    """Store the reader's report, once per reader; every refusal says why."""
    thread = existing_thread(thread_key)
    comment = published_comment(thread, comment_id)
    form = ReportForm()

    def refusal(status: int, _outcome: str, message: str | None = None) -> Response:
        notices = [Notice("error", message)] if message else []
        return _form(thread, comment, form, status, notices)

    refused = foreign_post_refusal(form.token.data, thread.id, refusal, "comments")
    if refused is not None:
        return refused
    if not form.validate():
        return refusal(422, "invalid")
    voter = current_voter(mint=True)
    admission = admit_report(voter.key, limit_hash(client_ip()))
    if admission.verdict == "limited":
        return limit_refusal("report", admission.retry_after, refusal)
    ip = client_ip()
    stored = file_report(
        comment, thread, voter.key, network_hash(ip), form.reason.data, form.text.data or ""
    )
    if not stored:
        response = refusal(409, "duplicate", _("You have already reported this comment."))
    elif not is_htmx():
        comment_reported(comment)
        response = redirect(
            url_for(".show", thread_key=thread.key, _anchor=f"comment-{comment.id}"), code=303
        )
    else:
        comment_reported(comment)
        thanks = [Notice("success", _("Thank you: the moderators will look at this comment."))]
        response = _form(thread, comment, form, notices=thanks, done=True)
    issue_identity(response)
    return response
