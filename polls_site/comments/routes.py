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
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _

from ..core.clients import client_ip, limit_hash
from ..core.edge_cache import share_at_edge
from ..core.errors import render_error
from ..core.htmx import is_htmx
from ..core.metrics import count_comment
from ..core.session import csrf
from ..models import Comment
from ..notifications.events import subscribe_to_replies
from ..widget.notices import Notice, busy_refusal, foreign_post_refusal, limit_refusal
from ..widget.voters import current_voter, issue_identity, reader_is_known, widget_post_allowed
from .access import existing_thread, published_comment, reply_target, thread_for_reading
from .forms import CommentForm, EditForm
from .likes import add_like
from .limits import admit_like
from .names import reply_to_label
from .reserved_names import reserved_for_staff
from .screens import (
    CommentsScreen,
    comment_list,
    in_place_reply,
    render_form,
    render_page,
    render_reply_closed,
    shared_page,
    widget_response,
)
from .service import (
    delete_comment,
    edit_comment,
    may_change,
    may_have_own,
    own_comment,
    own_comments,
    post_comment,
)
from .staff_voice import widget_voice
from .staff_widget import post_as_staff
from .threads import ThreadInfo, count_newer, fresh_thread, thread_version
from .tree import parse_offset, parse_sort

bp = Blueprint("comments", __name__, url_prefix="/w/comments")
# Widget POSTs carry a signed per-render token instead of the session-based one:
# inside a cross-site iframe the session cookie may never arrive.
csrf.exempt(bp)
bp.add_app_template_filter(reply_to_label, "reply_label")


def _screen(thread: ThreadInfo, form: CommentForm | None = None, **fields) -> CommentsScreen:
    screen = CommentsScreen(
        thread=thread,
        sort=parse_sort(request.args.get("sort")),
        offset=parse_offset(request.args.get("offset")),
        form=form or CommentForm(formdata=None),
        staff=widget_voice(),
        **fields,
    )
    screen.own = own_comments(thread, current_voter())
    return screen


@bp.get("/<path:thread_key>")
def show(thread_key: str) -> Response:
    """The widget page; for htmx the comment list, or the next page of it."""
    thread = thread_for_reading(thread_key)
    sort = parse_sort(request.args.get("sort"))
    offset = parse_offset(request.args.get("offset"))
    if is_htmx():
        # The list is the same for every reader (their own comments come out of band).
        return share_at_edge(
            widget_response(comment_list(thread, sort, offset, fragment=offset > 0))
        )
    posted, reply = request.args.get("posted"), request.args.get("reply")
    known = reader_is_known() and may_have_own(thread.id, current_voter().key)
    staff = widget_voice() is not None
    if not posted and not reply and not known and not staff:
        return share_at_edge(shared_page(thread, sort, offset))
    notices = [_posted_notice(posted == "review")] if posted else []
    if staff and request.args.get("published"):
        notices = [Notice("success", _("Your comment is published."))]
    screen = _screen(thread, notices=notices, reply_to=reply_target(thread, reply))
    return render_page(screen)


def _posted_notice(reviewed: bool) -> Notice:
    if reviewed:
        return Notice(
            "success",
            _(
                "Thank you! Comments here are premoderated: yours will appear once a "
                "moderator has approved it."
            ),
        )
    return Notice("success", _("Thank you! Your comment will appear after moderation."))


def closed_message() -> str:
    """What a reader is told when a closed thread refuses their comment or edit."""
    return _("The discussion is closed: new comments are not accepted.")


@bp.get("/<path:thread_key>/-/form")
def reply_form(thread_key: str) -> Response:
    """The form answering the comment named by ``?reply=``: for htmx under that comment (or,
    back from a reply, the thread's form); without JavaScript the page with it on top."""
    thread = existing_thread(thread_key)
    if not is_htmx():
        return redirect(url_for(".show", thread_key=thread.key, reply=request.args.get("reply")))
    reply_to = reply_target(thread, request.args.get("reply"))
    if not in_place_reply():
        return render_form(_screen(thread, reply_to=reply_to))
    if reply_to is None:
        gone = Notice("error", _("The comment you are replying to is no longer available."))
        return render_reply_closed(_screen(thread, notices=[gone]))
    return render_form(_screen(thread, reply_to=reply_to, in_place=True))


@bp.post("/<path:thread_key>")
def post(thread_key: str) -> Response:
    """Store a reader's comment for moderation; every refusal says why, with its own status."""
    thread = existing_thread(thread_key)
    voter = current_voter(mint=True)
    form = CommentForm()
    reply_to = reply_target(thread, form.parent.data) if form.parent.data else None
    in_place = in_place_reply()

    def refusal(status: int, outcome: str, message: str | None = None) -> Response:
        count_comment(outcome)
        notices = [Notice("error", message)] if message else []
        screen = _screen(thread, form, notices=notices, reply_to=reply_to, in_place=in_place)
        return render_form(screen, status)

    refused = foreign_post_refusal(form.token.data, thread.id, refusal, "comments")
    if refused is not None:
        return refused
    if form.is_bot:
        return refusal(
            400, "honeypot", _("The comment was not accepted: it looks like automated spam.")
        )
    voice = widget_voice()
    if voice is not None:
        return post_as_staff(thread, voice, form, refusal, closed_message())
    if not form.validate():
        return refusal(422, "invalid")
    if reserved_for_staff(form.name.data):
        form.name.errors = [_("This name is reserved for the newsroom. Please choose another.")]
        return refusal(422, "reserved_name")
    outcome = post_comment(thread, voter, form.name.data, form.text.data, form.parent.data)
    if outcome.kind == "closed":
        # 403: no retry helps; the form the reader had is replaced by the closed notice.
        thread = fresh_thread(thread.id) or thread
        return refusal(403, "closed", closed_message())
    if outcome.kind == "no_parent":
        return refusal(
            422, "no_parent", _("The comment you are replying to is no longer available.")
        )
    if outcome.kind == "banned":
        return refusal(
            403,
            "banned",
            _("You cannot post comments: the moderators have restricted your access."),
        )
    busy = busy_refusal(outcome.kind, outcome.retry_after, refusal, "comments")
    if busy is not None:
        return busy
    count_comment("accepted")
    notices = [_posted_notice(outcome.reviewed)]
    if form.email.data:
        subscription = subscribe_to_replies(
            outcome.comment_id, thread.id, form.email.data, str(get_locale())
        )
        if subscription is not None and subscription.confirmed_at is None:
            notices.append(
                Notice(
                    "success",
                    _("To get reply notifications, follow the link we have sent to your email."),
                )
            )
    if not is_htmx():
        posted = "review" if outcome.reviewed else 1
        response = redirect(
            url_for(".show", thread_key=thread.key, posted=posted, _anchor="own-comments"),
            code=303,
        )
    elif in_place:
        response = render_reply_closed(_screen(thread, notices=notices))
    else:
        kept = CommentForm(formdata=None, data={"name": form.name.data})
        response = render_form(_screen(thread, kept, notices=notices), with_own=True)
    issue_identity(response)
    return response


def _unchanged() -> Response:
    response = share_at_edge(Response(status=204))
    response.headers["Cache-Control"] = "public, max-age=2"
    response.headers["Vary"] = "HX-Request"
    return response


@bp.get("/<path:thread_key>/-/updates")
def updates(thread_key: str) -> Response:
    """The new-comments notice; 204 while the reader already shows the current version.

    The notice's URL names the thread's id too (``t``), so an unchanged thread is
    answered from Redis alone; a wrong id can only cost the asker a 204.
    """
    shown = request.args.get("v")
    thread_id = request.args.get("t", type=int)
    if thread_id is not None and shown is not None and thread_version(thread_id) == shown:
        return _unchanged()
    thread = existing_thread(thread_key)
    current = thread_version(thread.id)
    if current is not None and current == shown:
        return _unchanged()
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
    response = share_at_edge(Response(body))
    response.headers["Cache-Control"] = "public, max-age=2"
    response.headers["Vary"] = "HX-Request"
    return response


@bp.post("/<path:thread_key>/-/<int:comment_id>/like")
def like(thread_key: str, comment_id: int) -> Response:
    """Count the reader's like of an approved comment, once."""
    thread = existing_thread(thread_key)
    comment = published_comment(thread, comment_id)
    token = request.form.get("token")
    if not widget_post_allowed(token, "comment", thread.id):
        return render_error(
            403, _("The form has expired or came from another site. Please reload.")
        )
    admission = admit_like(limit_hash(client_ip()), comment.id)
    if admission.verdict == "limited":
        return limit_refusal(
            "like", admission.retry_after, lambda status, _outcome, text: render_error(status, text)
        )
    counted, likes = add_like(comment.id, current_voter(mint=True).key, thread)
    if not is_htmx():
        response = redirect(
            url_for(".show", thread_key=thread.key, _anchor=f"comment-{comment.id}"), code=303
        )
        issue_identity(response)
        return response
    body = render_template(
        "comments/_like.html",
        thread=thread,
        comment_id=comment.id,
        likes=likes,
        liked=True,
        token=token,
    )
    response = widget_response(body, 200 if counted else 409)
    issue_identity(response)
    return response


def _own_or_refuse(thread: ThreadInfo, comment_id: int) -> Comment:
    comment = own_comment(comment_id, thread, current_voter())
    if comment is None:
        abort(404)
    if not may_change(comment):
        abort(
            render_error(
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

    def refuse(status: int, outcome: str, message: str) -> Response:
        return _edit_page(thread, comment, form, status, message)

    if request.method == "POST":
        if not widget_post_allowed(form.token.data, "comment", thread.id):
            status = 403
            error = _("The form has expired or came from another site. Please send it again.")
        elif form.validate():
            outcome = edit_comment(comment, thread, form.text.data, current_voter())
            if outcome.kind == "closed":
                return refuse(403, "closed", closed_message())
            busy = busy_refusal(outcome.kind, outcome.retry_after, refuse, "comments")
            if busy is not None:
                return busy
            if outcome.kind == "accepted":
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
    return _edit_page(thread, comment, form, status, error)


def _edit_page(
    thread: ThreadInfo, comment: Comment, form: EditForm, status: int, error: str | None
) -> Response:
    screen = _screen(thread, notices=[Notice("error", error)] if error else [])
    template = "comments/_edit_form.html" if is_htmx() else "comments/edit.html"
    body = render_template(template, screen=screen, comment=comment, edit_form=form)
    return widget_response(body, status)


@bp.post("/<path:thread_key>/-/<int:comment_id>/delete")
def delete(thread_key: str, comment_id: int) -> Response:
    """Delete the reader's own comment while the edit window is open."""
    thread = existing_thread(thread_key)
    comment = _own_or_refuse(thread, comment_id)
    if not widget_post_allowed(request.form.get("token"), "comment", thread.id):
        return render_error(
            403, _("The form has expired or came from another site. Please reload.")
        )
    if not delete_comment(comment, thread):
        return render_error(409, _("A moderator has just changed this comment. Please reload."))
    if not is_htmx():
        return redirect(url_for(".show", thread_key=thread.key), code=303)
    body = render_template("comments/_deleted.html", comment_id=comment.id)
    return widget_response(body)
