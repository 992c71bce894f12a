"""The thread list and a thread's page.

Moderators and above close, reopen, premoderate and slow down a thread (the tools of a
heated story), and write, pin and pick its comments (threads/comments.py); editors and
above correct its title and URL (the article's metadata).
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from ...comments.policy import auto_close_at
from ...comments.threads import approved_rows, thread_info
from ...comments.tree import build_tree, page_of
from ...core.db import db
from ...models import AuditEntry, Comment, CommentStatus, Role, Thread
from .. import audit
from ..auth import current_staff, has_role, staff_required
from ..blueprint import bp
from .changes import close_thread, reopen_thread, set_details, set_policy
from .forms import ActionForm, DetailsForm, PolicyForm, StaffCommentForm
from .voice import voice_of

PAGE_SIZE = 50
HISTORY_SIZE = 20
# Top-level comments (with their replies) the thread page lists; the widget has the rest.
COMMENTS_SHOWN = 50


def search_threads(query: str, limit: int = PAGE_SIZE) -> list[Thread]:
    """Threads whose title, URL or key contains ``query`` (all when empty), newest first."""
    select = sa.select(Thread).order_by(Thread.id.desc()).limit(limit)
    if query:
        select = select.where(
            sa.or_(
                Thread.title.icontains(query, autoescape=True),
                Thread.url.icontains(query, autoescape=True),
                Thread.key.icontains(query, autoescape=True),
            )
        )
    return list(db.session.scalars(select))


@bp.get("/threads")
@staff_required(Role.MODERATOR)
def threads() -> Response:
    """Find a thread by its title, URL or key."""
    query = request.args.get("q", "").strip()[:200]
    body = render_template(
        "staff/threads/list.html", threads=search_threads(query), query=query, limit=PAGE_SIZE
    )
    return Response(body)


def thread_or_404(thread_id: int) -> Thread:
    """The thread ``thread_id``, or a 404."""
    thread = db.session.get(Thread, thread_id)
    if thread is None:
        abort(404)
    return thread


def page(
    thread: Thread,
    status: int = 200,
    policy_form: PolicyForm | None = None,
    details_form: DetailsForm | None = None,
    comment_form: StaffCommentForm | None = None,
) -> Response:
    """The thread page (with a form's errors, when it comes back with some)."""
    counts = dict(
        db.session.execute(
            sa.select(Comment.status, sa.func.count(Comment.id))
            .where(Comment.thread_id == thread.id)
            .group_by(Comment.status)
        ).all()
    )
    history = db.session.scalars(
        sa.select(AuditEntry)
        .where(AuditEntry.target_type == "thread", AuditEntry.target_id == str(thread.id))
        .order_by(AuditEntry.id.desc())
        .limit(HISTORY_SIZE)
    ).all()
    info = thread_info(thread)
    roots, more = page_of(build_tree(approved_rows(thread.id)), 0, COMMENTS_SHOWN)
    if comment_form is None:
        comment_form = StaffCommentForm(formdata=None, data={"parent": request.args.get("reply")})
    body = render_template(
        "staff/threads/show.html",
        thread=thread,
        closed=info.is_closed(),
        closes_at=info.closes_at(),
        auto_closed=thread.closed_at is None and info.is_closed(),
        auto_close_days=current_app.config["THREAD_AUTO_CLOSE_DAYS"],
        would_close_at=auto_close_at(
            thread.first_comment_at, current_app.config["THREAD_AUTO_CLOSE_DAYS"]
        ),
        approved=counts.get(CommentStatus.APPROVED, 0),
        waiting=counts.get(CommentStatus.PENDING, 0) + counts.get(CommentStatus.REVIEW, 0),
        history=history,
        action_form=ActionForm(),
        policy_form=policy_form
        or PolicyForm(
            formdata=None,
            data={
                "premoderated": thread.premoderated,
                "slow_mode_minutes": thread.slow_mode_minutes,
            },
        ),
        details_form=details_form
        or DetailsForm(formdata=None, data={"title": thread.title, "url": thread.url}),
        may_edit_details=has_role(current_staff(), Role.EDITOR),
        roots=roots,
        more_comments=more is not None,
        comment_form=comment_form,
        reply_to=_reply_target(thread, comment_form.parent.data),
        voice=voice_of(current_staff()),
        action_label=audit.action_label,
        actor_label=audit.actor_label,
    )
    return Response(body, status=status)


def _reply_target(thread: Thread, parent: int | None) -> Comment | None:
    # The form's filter made junk -1, which no comment has.
    comment = db.session.get(Comment, parent) if parent else None
    if comment is None or comment.thread_id != thread.id:
        return None
    return comment if comment.status == CommentStatus.APPROVED else None


def _back(thread: Thread) -> Response:
    return redirect(url_for("staff.thread_page", thread_id=thread.id), code=303)


@bp.get("/threads/<int:thread_id>")
@staff_required(Role.MODERATOR)
def thread_page(thread_id: int) -> Response:
    """One thread: its state, its policy, its details and their audit history."""
    return page(thread_or_404(thread_id))


@bp.post("/threads/<int:thread_id>/close")
@staff_required(Role.MODERATOR)
def close(thread_id: int) -> Response:
    """Close the thread: readers see «Обсуждение закрыто» and can no longer post."""
    thread = thread_or_404(thread_id)
    if close_thread(thread):
        flash(_("Comments are closed on this thread."), "success")
    return _back(thread)


@bp.post("/threads/<int:thread_id>/reopen")
@staff_required(Role.MODERATOR)
def reopen(thread_id: int) -> Response:
    """Open the thread again (also one the auto-close date had closed)."""
    thread = thread_or_404(thread_id)
    reopen_thread(thread)
    flash(_("Comments are open again on this thread."), "success")
    return _back(thread)


@bp.post("/threads/<int:thread_id>/policy")
@staff_required(Role.MODERATOR)
def policy(thread_id: int) -> Response:
    """Premoderation and slow mode."""
    thread = thread_or_404(thread_id)
    form = PolicyForm()
    if not form.validate():
        return page(thread, 422, policy_form=form)
    if set_policy(thread, bool(form.premoderated.data), form.slow_mode_minutes.data):
        flash(_("The thread's moderation settings are saved."), "success")
    return _back(thread)


@bp.post("/threads/<int:thread_id>/details")
@staff_required(Role.EDITOR)
def details(thread_id: int) -> Response:
    """The title and article URL."""
    thread = thread_or_404(thread_id)
    form = DetailsForm()
    if not form.validate():
        return page(thread, 422, details_form=form)
    if set_details(thread, form.title.data or "", (form.url.data or "").strip()):
        flash(_("The thread's title and address are saved."), "success")
    return _back(thread)
