"""The audit log: every staff action becomes one row, added in the action's own transaction.

Rows are only ever added; no page or function here edits or deletes them.
"""

from __future__ import annotations

from typing import Any

from flask import has_request_context
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString

from ..core.db import db
from ..models import AuditEntry, StaffUser
from .auth import current_staff

# The name recorded for actions taken from the command line (no staff member). Stored
# as is (rows are never rewritten); pages show it through ``actor_label``.
COMMAND_LINE = "(command line)"

# Every action recorded anywhere -> what the audit page says the staff member did.
# tests/staff/test_audit.py finds every ``record(`` call and keeps this complete.
ACTION_LABELS: dict[str, LazyString] = {
    "comment.approve": _l("approved a comment"),
    "comment.reject": _l("rejected a comment"),
    "comment.spam": _l("marked a comment as spam"),
    "comment.hide": _l("hid a comment"),
    "comment.restore": _l("restored a comment"),
    "comment.staff_post": _l("commented as staff"),
    "comment.pin": _l("pinned a comment"),
    "comment.unpin": _l("unpinned a comment"),
    "comment.pick": _l("marked an editor's pick"),
    "comment.unpick": _l("removed an editor's pick"),
    "staff.display_name": _l("changed a display name"),
    "ban.create": _l("banned an author"),
    "thread.close": _l("closed a thread"),
    "thread.reopen": _l("reopened a thread"),
    "thread.policy": _l("changed a thread's moderation"),
    "thread.edit": _l("edited a thread's title or URL"),
    "notifications.settings": _l("changed the notification settings"),
    "word.add": _l("added a word"),
    "word.delete": _l("removed a word"),
    "setting.set": _l("changed a moderation setting"),
    "poll.create": _l("created a poll"),
    "poll.update": _l("edited a poll"),
    "poll.clone": _l("copied a poll"),
    "poll.open": _l("opened a poll"),
    "poll.close": _l("closed a poll"),
    "poll.reopen": _l("reopened a poll"),
    "poll.current": _l("changed a section's current poll"),
    "poll.export": _l("exported a poll's results"),
    "option.text": _l("changed an option's text"),
    "ballots.void": _l("voided ballots"),
    "privacy.export": _l("exported a reader's data"),
    "privacy.erase": _l("erased a reader's data"),
    "staff.create": _l("created a staff account"),
    "staff.role": _l("changed a staff role"),
    "staff.enable": _l("enabled a staff account"),
    "staff.disable": _l("disabled a staff account"),
    "staff.login": _l("logged in"),
    "staff.logout": _l("logged out"),
    "staff.password": _l("set a password"),
    "job.retry": _l("retried a job"),
}

# What targets are, and the reasons the code itself records.
TARGET_LABELS: dict[str, LazyString] = {
    "comment": _l("comment"),
    "comments": _l("comments"),
    "ban": _l("ban"),
    "thread": _l("thread"),
    "word": _l("word"),
    "setting": _l("setting"),
    "settings": _l("settings"),
    "poll": _l("poll"),
    "option": _l("option"),
    "staff": _l("staff member"),
    "job": _l("job"),
}
RECORDED_REASONS: dict[str, LazyString] = {
    "command line": _l("command line"),
    "demo": _l("demo data"),
}


def action_label(action: str) -> str:
    """What an action means, in the current locale (an unknown one: its code)."""
    label = ACTION_LABELS.get(action)
    return str(label) if label is not None else action


def target_label(target_type: str) -> str:
    """A target type in the current locale (an unknown one: as stored)."""
    label = TARGET_LABELS.get(target_type)
    return str(label) if label is not None else target_type


def actor_label(staff_name: str) -> str:
    """Who acted: a staff member's name, or "(command line)" in the current locale."""
    return _("(command line)") if staff_name == COMMAND_LINE else staff_name


def reason_label(reason: str | None) -> str:
    """A recorded reason: the code's own ones translated, a person's as written."""
    if not reason:
        return ""
    label = RECORDED_REASONS.get(reason)
    return str(label) if label is not None else reason


def record(
    action: str,
    target_type: str,
    target_id: object,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    reason: str | None = None,
    *,
    staff: StaffUser | None = None,
) -> AuditEntry:
    """Add an audit row for ``action`` on ``target_type`` ``target_id`` to the session.

    The actor is ``staff`` if given, else the logged-in staff member of the request,
    else the command line. The caller commits (with the change it describes).
    """
    if staff is None and has_request_context():
        staff = current_staff()
    entry = AuditEntry(
        staff_id=staff.id if staff else None,
        staff_name=staff.username if staff else COMMAND_LINE,
        action=action,
        target_type=target_type,
        target_id=str(target_id),
        before=before,
        after=after,
        reason=reason,
    )
    db.session.add(entry)
    return entry
