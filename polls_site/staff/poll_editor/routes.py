"""The poll editor (editor role): list, create, edit with a live preview (read-only once
the poll is closed), mark as current, clone; the status actions are in ``status.py``.
Every change is audit-logged in its own transaction."""

from __future__ import annotations

from collections.abc import Sequence

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from ...core.db import db
from ...core.htmx import is_htmx
from ...models import Poll, PollStatus, Role
from ...polls.cache import OptionInfo, PollInfo
from ...polls.editing import (
    OptionRow,
    TextChange,
    apply_op,
    check_rows,
    parse_rows,
    rows_from_options,
)
from ...polls.lifecycle import (
    UNDO_CLOSE_SECONDS,
    can_undo_close,
    poll_changed,
    results_frozen,
    undo_close_until,
)
from ...polls.screens import PollScreen
from ...polls.sections import mark_current
from .. import audit
from ..auth import staff_required
from ..blueprint import bp
from .forms import CurrentForm, PollForm, site_zone_name, to_local
from .store import (
    PollFrozen,
    claim_revision,
    clone_poll,
    ensure_editable,
    last_editor_close,
    option_votes,
    poll_listing,
    save_poll,
)

bp.add_app_template_global(site_zone_name)


@bp.app_template_global()
def poll_status_label(poll: Poll) -> str:
    """The poll's status as editors read it (a draft with an opening time is scheduled)."""
    if poll.status == PollStatus.DRAFT:
        return _("scheduled") if poll.opens_at else _("draft")
    if poll.status == PollStatus.OPEN:
        return _("open") if poll.voting_state() == "open" else _("open, not started yet")
    return _("closed")


def poll_or_404(poll_id: int) -> Poll:
    """The stored poll, or 404."""
    poll = db.session.get(Poll, poll_id)
    if poll is None:
        abort(404)
    return poll


def _preview_screen(form: PollForm, rows: list[OptionRow]) -> PollScreen:
    info = PollInfo(
        id=0,
        question=" ".join((form.question.data or "").split()) or _("(no question yet)"),
        status=PollStatus.OPEN,
        opens_at=None,
        closes_at=None,
        multiple=bool(form.multiple.data),
        max_choices=form.max_choices.data or 1,
        results_visibility=form.results_visibility.data or "always",
        options=tuple(OptionInfo(i, r.text) for i, r in enumerate(rows) if not r.hidden),
    )
    return PollScreen(poll=info, mode="form")


def _render_editor(
    poll: Poll | None,
    form: PollForm,
    rows: list[OptionRow],
    votes: dict[int, int],
    *,
    errors: Sequence[str] = (),
    changes: Sequence[TextChange] = (),
    status: int = 200,
    revision: int | None = None,
    confirm_close: bool = False,
) -> Response:
    template = "staff/polls/_editor.html" if is_htmx() else "staff/polls/edit.html"
    if revision is None:
        revision = _posted_revision(poll)
    body = render_template(
        template,
        **status_context(poll, confirm_close),
        poll=poll,
        revision=revision,
        form=form,
        rows=rows,
        votes=votes,
        errors=errors,
        changes=changes,
        preview=_preview_screen(form, rows),
        current_form=CurrentForm(),
    )
    return Response(body, status=status)


@bp.get("/polls/")
@staff_required(Role.EDITOR)
def polls() -> str:
    """Every poll, drafts too, with its status, current section and links."""
    return render_template("staff/polls/list.html", listing=poll_listing())


@bp.route("/polls/new", methods=["GET", "POST"])
@staff_required(Role.EDITOR)
def new_poll() -> Response:
    """Create a poll (a draft until it is opened or its opening time comes)."""
    return _edit(None)


@bp.route("/polls/<int:poll_id>", methods=["GET", "POST"])
@staff_required(Role.EDITOR)
def edit_poll(poll_id: int) -> Response:
    """Edit a poll's settings and options."""
    return _edit(poll_or_404(poll_id))


def _posted_revision(poll: Poll | None) -> int:
    """The revision the editor's form was opened with (the stored one on a first view)."""
    if poll is None:
        return 0
    if request.method != "POST":
        return poll.revision
    try:
        return int(request.form.get("revision", ""))
    except ValueError:
        return -1  # never a stored revision: the save is treated as a conflict


def status_context(poll: Poll | None, confirm_close: bool = False) -> dict[str, object]:
    """What the status section shows: frozen or not, the undo button and its deadline."""
    if poll is None:
        return {"frozen": False, "undo_until": None, "confirm_close": False, "undo_seconds": 0}
    close = last_editor_close(poll.id) if poll.status == PollStatus.CLOSED else None
    undoable = close is not None and can_undo_close(poll, close.closed_at)
    return {
        "frozen": results_frozen(poll),
        "undo_until": undo_close_until(close.closed_at) if undoable else None,
        "confirm_close": confirm_close,
        "undo_seconds": UNDO_CLOSE_SECONDS,
    }


def _stored_form(poll: Poll | None) -> tuple[PollForm, list[OptionRow]]:
    """The editor form and rows as the poll is stored (or empty, for a new poll)."""
    if poll is None:
        return PollForm(), [OptionRow("new1", ""), OptionRow("new2", "")]
    form = PollForm(obj=poll)
    form.opens_at.data, form.closes_at.data = to_local(poll.opens_at), to_local(poll.closes_at)
    return form, rows_from_options([(o.id, o.text, o.hidden) for o in poll.options])


def stored_editor(poll: Poll, errors: Sequence[str], status: int, **extra) -> Response:
    """The editor showing the stored poll (not what was posted), with ``errors``."""
    form, rows = _stored_form(poll)
    return _render_editor(
        poll, form, rows, option_votes(poll.id), errors=errors, status=status, **extra
    )


def _edit(poll: Poll | None) -> Response:
    votes = option_votes(poll.id) if poll is not None else {}
    stored = {o.id: o.text for o in poll.options} if poll is not None else {}
    if request.method == "GET":
        form, rows = _stored_form(poll)
        return _render_editor(poll, form, rows, votes)

    if poll is not None:
        # Every post (a save, or adding, removing or moving a row) is refused on a
        # frozen poll: the form shows the stored poll again, nothing is written.
        try:
            ensure_editable(poll)
        except PollFrozen as frozen:
            return stored_editor(poll, [frozen.message], 409, revision=poll.revision)
    form = PollForm()
    rows = parse_rows(request.form, request.form.getlist("row"))
    op = request.form.get("op", "save")
    if op != "save":
        # Moving, adding or removing a row only re-renders the form.
        rows, refused = apply_op(rows, op, votes)
        return _render_editor(poll, form, rows, votes, errors=[refused] if refused else [])

    errors, changes = check_rows(rows, stored, votes)
    form_ok = form.validate()
    if not form_ok or errors:
        return _render_editor(poll, form, rows, votes, errors=errors, status=422)
    if changes and not request.form.get("confirm_text_change"):
        return _render_editor(poll, form, rows, votes, changes=changes, status=409)
    settings = form.settings()
    if settings.multiple and settings.max_choices > sum(1 for r in rows if not r.hidden):
        errors = [_("The maximum number of choices is more than the visible options.")]
        return _render_editor(poll, form, rows, votes, errors=errors, status=422)
    if poll is not None and not claim_revision(poll, _posted_revision(poll)):
        db.session.rollback()
        db.session.refresh(poll)
        errors = [
            _(
                "Another editor saved this poll while you were editing it. Your changes "
                "are not saved yet: they are still in this form. Open the poll in a new "
                "tab to see the other version; Save again here to replace it with yours."
            )
        ]
        return _render_editor(
            poll, form, rows, votes, errors=errors, status=409, revision=poll.revision
        )
    target = poll if poll is not None else Poll(status=PollStatus.DRAFT)
    save_poll(target, settings, rows, changes)
    db.session.commit()
    poll_changed(target.id)
    flash(_("The poll is saved."), "success")
    return redirect(url_for("staff.edit_poll", poll_id=target.id), code=303)


@bp.post("/polls/preview")
@staff_required(Role.EDITOR)
def preview_poll() -> str:
    """The widget as readers would see it with the form's current contents (htmx)."""
    form = PollForm()
    rows = parse_rows(request.form, request.form.getlist("row"))
    return render_template("staff/polls/_preview.html", preview=_preview_screen(form, rows))


@bp.post("/polls/<int:poll_id>/current")
@staff_required(Role.EDITOR)
def set_current(poll_id: int) -> Response:
    """Make the poll the current one of a portal section, or stop it being current."""
    poll = poll_or_404(poll_id)
    if request.form.get("clear"):
        before = poll.current_section
        poll.current_section = None
        audit.record("poll.current", "poll", poll.id, {"section": before}, {"section": None})
    else:
        form = CurrentForm()
        if not form.validate():
            flash(form.section.errors[0], "error")
            return redirect(url_for("staff.edit_poll", poll_id=poll.id), code=303)
        previous = mark_current(poll, form.section.data)
        audit.record(
            "poll.current",
            "poll",
            poll.id,
            {"section": None, "replaced_poll": previous.id if previous else None},
            {"section": form.section.data},
        )
    try:
        db.session.commit()
    except IntegrityError:
        # Another editor marked a poll of this section at the same moment.
        db.session.rollback()
        flash(_("Another poll was just made current in this section. Try again."), "error")
        return redirect(url_for("staff.edit_poll", poll_id=poll.id), code=303)
    flash(_("The current poll is changed."), "success")
    return redirect(url_for("staff.edit_poll", poll_id=poll.id), code=303)


@bp.post("/polls/<int:poll_id>/clone")
@staff_required(Role.EDITOR)
def clone(poll_id: int) -> Response:
    """Copy a poll into a new draft (visible options, settings; no dates, no votes)."""
    source = poll_or_404(poll_id)
    copy = clone_poll(source, source.question)
    db.session.commit()
    flash(_("This is a copy: a new draft."), "success")
    return redirect(url_for("staff.edit_poll", poll_id=copy.id), code=303)
