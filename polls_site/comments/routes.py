"""The comment widget: read a thread, post, reply, like, edit or delete one's own comment."""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import ngettext

from ..extensions import csrf, db
from ..models import Comment, CommentStatus
from ..voters import current_voter, request_is_same_origin
from .dates import comment_date
from .forms import CommentForm, EditForm
from .keys import may_open_thread, valid_thread_key
from .likes import add_like
from .screens import (
    CommentsScreen,
    Notice,
    ReplyTarget,
    comment_list,
    is_htmx,
    render_form,
    render_page,
    widget_response,
)
from .service import (
    delete_comment,
    edit_comment,
    may_change,
    own_comment,
    own_comments,
    post_comment,
)
from .threads import ThreadInfo, count_newer, find_thread, open_thread, thread_version
from .tokens import comment_token_valid
from .tree import parse_offset, parse_sort

bp = Blueprint("comments", __name__, url_prefix="/w/comments")
# Widget POSTs carry a signed per-render token instead of the session-based one:
# inside a cross-site iframe the session cookie may never arrive.
csrf.exempt(bp)
bp.add_app_template_filter(comment_date, "comment_date")


def refuse(status: int, message: str) -> Response:
    """An error page (a fragment for htmx) with a message that says what went wrong."""
    template = "errors/_error.html" if is_htmx() else "errors/error.html"
    response = Response(render_template(template, status=status, message=message), status=status)
    response.headers["Cache-Control"] = "no-store"
    return response


def _checked_key(thread_key: str) -> None:
    if not valid_thread_key(thread_key):
        abort(
            refuse(
                400,
                _(
                    "This discussion address is not valid: use 1 to 200 lowercase Latin "
                    "letters, digits, dots, dashes, underscores and slashes."
                ),
            )
        )


def existing_thread(thread_key: str) -> ThreadInfo:
    """The thread for ``thread_key``; 400 for a malformed key, 404 for an unknown one."""
    _checked_key(thread_key)
    thread = find_thread(thread_key)
    if thread is None:
        abort(404)
    return thread


def _thread_for_reading(thread_key: str) -> ThreadInfo:
    _checked_key(thread_key)
    thread = find_thread(thread_key)
    if thread is not None:
        return thread
    page_url = request.args.get("url", "")
    if not may_open_thread(
        current_app.config["EMBED_ALLOWED_ORIGINS"],
        referer=request.headers.get("Referer"),
        origin=request.headers.get("Origin"),
        page_url=page_url,
    ):
        abort(
            refuse(
                400,
                _(
                    "There is no such discussion yet. A discussion is opened only by an "
                    "article page of the portal."
                ),
            )
        )
    return open_thread(thread_key, request.args.get("title", ""), page_url)


def _reply_target(thread: ThreadInfo, value: str | int | None) -> ReplyTarget | None:
    try:
        comment = db.session.get(Comment, int(value)) if value else None
    except (TypeError, ValueError):
        return None
    if comment is None or comment.thread_id != thread.id:
        return None
    if comment.status != CommentStatus.APPROVED:
        return None
    return ReplyTarget(comment.id, comment.author_name)


def _screen(thread: ThreadInfo, form: CommentForm | None = None, **fields) -> CommentsScreen:
    screen = CommentsScreen(
        thread=thread,
        sort=parse_sort(request.args.get("sort")),
        offset=parse_offset(request.args.get("offset")),
        form=form or CommentForm(formdata=None),
        **fields,
    )
    screen.own = own_comments(thread, current_voter())
    return screen


@bp.get("/<path:thread_key>")
def show(thread_key: str) -> Response:
    """The widget page; for htmx the comment list, or the next page of it."""
    thread = _thread_for_reading(thread_key)
    if is_htmx():
        sort = parse_sort(request.args.get("sort"))
        offset = parse_offset(request.args.get("offset"))
        response = widget_response(comment_list(thread, sort, offset, fragment=offset > 0))
        return response
    notices = []
    if request.args.get("posted"):
        notices.append(
            Notice("success", _("Thank you! Your comment will appear after moderation."))
        )
    screen = _screen(
        thread, notices=notices, reply_to=_reply_target(thread, request.args.get("reply"))
    )
    return render_page(screen)


@bp.get("/<path:thread_key>/-/form")
def reply_form(thread_key: str) -> Response:
    """The form, answering the comment named by ``?reply=`` (htmx swaps it in place)."""
    thread = existing_thread(thread_key)
    if not is_htmx():
        return redirect(url_for(".show", thread_key=thread.key, reply=request.args.get("reply")))
    screen = _screen(thread, reply_to=_reply_target(thread, request.args.get("reply")))
    return render_form(screen)


@bp.post("/<path:thread_key>")
def post(thread_key: str) -> Response:
    """Store a reader's comment for moderation; every refusal says why, with its own status."""
    thread = existing_thread(thread_key)
    voter = current_voter()
    form = CommentForm()
    reply_to = _reply_target(thread, form.parent.data) if form.parent.data else None

    def refusal(status: int, message: str | None = None) -> Response:
        notices = [Notice("error", message)] if message else []
        screen = _screen(thread, form, notices=notices, reply_to=reply_to)
        return render_form(screen, status)

    if not request_is_same_origin() or not comment_token_valid(form.token.data, thread.id):
        return refusal(
            403, _("The form has expired or came from another site. Please send it again.")
        )
    if form.is_bot:
        return refusal(400, _("The comment was not accepted: it looks like automated spam."))
    if not form.validate():
        return refusal(422)
    outcome = post_comment(thread, voter, form.name.data, form.text.data, form.parent.data)
    if outcome.kind == "no_parent":
        return refusal(422, _("The comment you are replying to is no longer available."))
    if outcome.kind == "banned":
        return refusal(
            403, _("You cannot post comments: the moderators have restricted your access.")
        )
    if outcome.kind == "limited":
        minutes = max(1, (outcome.retry_after + 59) // 60)
        response = refusal(
            429,
            ngettext(
                "You are posting too often. Please try again in %(num)d minute.",
                "You are posting too often. Please try again in %(num)d minutes.",
                minutes,
            ),
        )
        response.headers["Retry-After"] = str(outcome.retry_after)
        return response
    if outcome.kind == "unavailable":
        return refusal(503, _("Your comment was not saved: the service is busy. Please try again."))
    if not is_htmx():
        return redirect(
            url_for(".show", thread_key=thread.key, posted=1, _anchor="own-comments"), code=303
        )
    kept = CommentForm(formdata=None, data={"name": form.name.data})
    notices = [Notice("success", _("Thank you! Your comment will appear after moderation."))]
    return render_form(_screen(thread, kept, notices=notices), with_own=True)


@bp.get("/<path:thread_key>/-/updates")
def updates(thread_key: str) -> Response:
    """The new-comments notice; 204 while the reader already shows the current version."""
    thread = existing_thread(thread_key)
    current = thread_version(thread.id)
    if current is not None and current == request.args.get("v"):
        response = Response(status=204)
        response.headers["Cache-Control"] = "public, max-age=2"
        response.headers["Vary"] = "HX-Request"
        return response
    sort = parse_sort(request.args.get("sort"))
    if not is_htmx():
        return redirect(url_for(".show", thread_key=thread.key, sort=sort))
    since = parse_offset(request.args.get("since"))
    body = render_template(
        "comments/_notice.html",
        thread=thread,
        sort=sort,
        version=current or "0",
        latest_id=since,
        newer=count_newer(thread.id, since),
    )
    response = Response(body)
    response.headers["Cache-Control"] = "public, max-age=2"
    response.headers["Vary"] = "HX-Request"
    return response


@bp.post("/<path:thread_key>/-/<int:comment_id>/like")
def like(thread_key: str, comment_id: int) -> Response:
    """Count the reader's like of an approved comment, once."""
    thread = existing_thread(thread_key)
    comment = db.session.get(Comment, comment_id)
    if (
        comment is None
        or comment.thread_id != thread.id
        or comment.status != CommentStatus.APPROVED
    ):
        abort(404)
    token = request.form.get("token")
    if not request_is_same_origin() or not comment_token_valid(token, thread.id):
        return refuse(403, _("The form has expired or came from another site. Please reload."))
    counted, likes = add_like(comment.id, current_voter().key, thread)
    if not is_htmx():
        return redirect(
            url_for(".show", thread_key=thread.key, _anchor=f"comment-{comment.id}"), code=303
        )
    body = render_template(
        "comments/_like.html",
        thread=thread,
        comment_id=comment.id,
        likes=likes,
        liked=True,
        token=token,
    )
    return widget_response(body, 200 if counted else 409)


def _own_or_refuse(thread: ThreadInfo, comment_id: int) -> Comment:
    comment = own_comment(comment_id, thread, current_voter())
    if comment is None:
        abort(404)
    if not may_change(comment):
        abort(
            refuse(
                403,
                ngettext(
                    "A comment can be changed only within %(num)d minute of posting.",
                    "A comment can be changed only within %(num)d minutes of posting.",
                    current_app.config["COMMENT_EDIT_MINUTES"],
                ),
            )
        )
    return comment


@bp.route("/<path:thread_key>/-/<int:comment_id>/edit", methods=["GET", "POST"])
def edit(thread_key: str, comment_id: int) -> Response:
    """The author's edit form for their comment, and saving it (back to moderation)."""
    thread = existing_thread(thread_key)
    comment = _own_or_refuse(thread, comment_id)
    form = EditForm() if request.method == "POST" else EditForm(data={"text": comment.text})
    status, error = 200, None
    if request.method == "POST":
        if not request_is_same_origin() or not comment_token_valid(form.token.data, thread.id):
            status = 403
            error = _("The form has expired or came from another site. Please send it again.")
        elif form.validate():
            if edit_comment(comment, thread, form.text.data):
                if not is_htmx():
                    return redirect(
                        url_for(".show", thread_key=thread.key, _anchor=f"own-{comment.id}"),
                        code=303,
                    )
                screen = _screen(thread)
                mine = next((c for c in screen.own if c.id == comment.id), None)
                return widget_response(
                    render_template("comments/_own_item.html", screen=screen, item=mine)
                )
            status, error = 409, _("A moderator has just changed this comment. Please reload.")
        else:
            status = 422
    screen = _screen(thread, notices=[Notice("error", error)] if error else [])
    template = "comments/_edit_form.html" if is_htmx() else "comments/edit.html"
    body = render_template(template, screen=screen, comment=comment, edit_form=form)
    return widget_response(body, status)


@bp.post("/<path:thread_key>/-/<int:comment_id>/delete")
def delete(thread_key: str, comment_id: int) -> Response:
    """Delete the reader's own comment while the edit window is open."""
    thread = existing_thread(thread_key)
    comment = _own_or_refuse(thread, comment_id)
    if not request_is_same_origin() or not comment_token_valid(
        request.form.get("token"), thread.id
    ):
        return refuse(403, _("The form has expired or came from another site. Please reload."))
    if not delete_comment(comment, thread):
        return refuse(409, _("A moderator has just changed this comment. Please reload."))
    if not is_htmx():
        return redirect(url_for(".show", thread_key=thread.key), code=303)
    body = render_template("comments/_deleted.html", comment_id=comment.id)
    return widget_response(body)
