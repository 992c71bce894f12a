"""What the comment widget shows one reader, and how it becomes a response.

The comment list is the same for every reader of a thread version, so it is rendered
once per version, sort, page and day and cached (`widget.html`, COMMENT_CACHE_SECONDS);
the form and the reader's own comments are rendered around it on each request.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flask import Response, current_app, render_template, request
from markupsafe import Markup

from ..core.htmx import is_htmx
from ..core.redis import rkey
from ..models import utcnow
from ..widget.html import cached_html, variant
from ..widget.notices import Notice
from ..widget.voters import VOTER_HEADER, make_form_token
from .forms import CommentForm
from .service import OwnComment
from .staff_voice import StaffVoice
from .threads import ThreadInfo, approved_rows, thread_version
from .tree import build_tree, page_of


@dataclass
class ReplyTarget:
    """The comment a reply form answers."""

    id: int
    author_name: str


@dataclass
class CommentsScreen:
    """Everything the widget page shows one reader."""

    thread: ThreadInfo
    sort: str
    offset: int
    form: CommentForm
    own: list[OwnComment] = field(default_factory=list)
    notices: list[Notice] = field(default_factory=list)
    reply_to: ReplyTarget | None = None
    comment_list: Markup = Markup("")
    # A staff member writing from the widget: the form posts as them, with their badge.
    staff: StaffVoice | None = None
    # The reply form htmx opens under the comment it answers, beside the thread's own form.
    in_place: bool = False

    @property
    def token(self) -> str:
        """A fresh form token, made only when a form is actually rendered."""
        return make_form_token("comment", self.thread.id)


def _cache_seconds() -> int:
    return current_app.config["COMMENT_CACHE_SECONDS"]


def list_cache_key(thread_id: int) -> str:
    """The Redis hash holding a thread's rendered comment lists and shared pages."""
    return rkey("html", "thread", thread_id)


def comment_list(thread: ThreadInfo, sort: str, offset: int, *, fragment: bool) -> Markup:
    """The rendered list (header, new-comments notice, one page) or, as a fragment, one page.

    Cached per thread version: any approval, removal or like bumps the version.
    """
    template = "comments/_page.html" if fragment else "comments/_list.html"
    version = thread_version(thread.id)

    def render() -> str:
        rows = approved_rows(thread.id)
        roots, next_offset = page_of(build_tree(rows, sort), offset)
        return render_template(
            template,
            thread=thread,
            sort=sort,
            offset=offset,
            roots=roots,
            next_offset=next_offset,
            total=len(rows),
            latest_id=max((r.id for r in rows), default=0),
            version=version or "0",
            token=make_form_token("comment", thread.id),
            now=utcnow(),
        )

    if version is None:
        return Markup(render())
    field_name = variant(template, version, sort, offset)
    return Markup(cached_html(list_cache_key(thread.id), field_name, render, _cache_seconds()))


def widget_response(body: str, status: int = 200) -> Response:
    """A per-reader widget response: never shared by caches."""
    response = Response(body, status=status)
    response.headers["Vary"] = f"HX-Request, Cookie, {VOTER_HEADER}"
    response.headers["Cache-Control"] = "private, no-store"
    return response


def shared_page(thread: ThreadInfo, sort: str, offset: int) -> Response:
    """The page as every reader with no comments of their own sees it, once per version.

    Its form token is shared for a few seconds too, like the poll form's: the token
    is not a secret, the Origin check is what stops cross-site posts.
    """
    version = thread_version(thread.id)

    def render() -> str:
        screen = CommentsScreen(thread, sort, offset, form=CommentForm(formdata=None))
        screen.comment_list = comment_list(thread, sort, offset, fragment=False)
        return render_template("comments/widget.html", screen=screen)

    if version is None:
        return widget_response(render())
    # Auto-close passes with the clock, not a new version: the flag keeps a form cached
    # before the date from being served after it.
    field_name = variant("page", version, sort, offset, thread.is_closed())
    return widget_response(
        cached_html(list_cache_key(thread.id), field_name, render, _cache_seconds())
    )


def render_page(screen: CommentsScreen, status: int = 200) -> Response:
    """The full widget page."""
    screen.comment_list = comment_list(screen.thread, screen.sort, screen.offset, fragment=False)
    return widget_response(render_template("comments/widget.html", screen=screen), status)


def in_place_reply() -> bool:
    """True when htmx asks for (or posts) the reply form that opens under a comment.

    htmx names the element it will swap (``HX-Target``): the thread's own form is
    ``comment-form``; the reply link targets its comment, the open reply form itself.
    """
    target = request.headers.get("HX-Target")
    return is_htmx() and target is not None and target != "comment-form"


def render_reply_closed(screen: CommentsScreen, status: int = 200) -> Response:
    """What takes the in-place reply form's place when it is done: the notices (a thank-you,
    or why there is nothing to answer), plus the reader's own comments out of band."""
    body = render_template("comments/_reply_done.html", notices=screen.notices)
    body += render_template("comments/_own.html", screen=screen, oob=True)
    return widget_response(body, status)


def render_form(screen: CommentsScreen, status: int = 200, *, with_own: bool = False) -> Response:
    """The form partial for htmx (plus the reader's own comments, out of band), else the page."""
    if not is_htmx():
        return render_page(screen, status)
    body = render_template("comments/_form.html", screen=screen)
    if with_own:
        body += render_template("comments/_own.html", screen=screen, oob=True)
    return widget_response(body, status)
