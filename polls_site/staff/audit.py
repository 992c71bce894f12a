"""The audit log: every staff action becomes one row, added in the action's own transaction.

Rows are only ever added; no page or function here edits or deletes them.
"""

from __future__ import annotations

from typing import Any

from flask import has_request_context

from ..core.db import db
from ..models import AuditEntry, StaffUser
from .auth import current_staff

# The name recorded for actions taken from the command line (no staff member).
COMMAND_LINE = "(command line)"


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
