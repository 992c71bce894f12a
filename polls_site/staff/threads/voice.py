"""Staff writing as staff: their display name and badge, the widget's hook to find them,
and the audit row of each such comment."""

from __future__ import annotations

from flask import request
from flask.blueprints import BlueprintSetupState

from ...comments.staff_voice import StaffVoice, badge_for_role, register_staff_voice
from ...models import Comment, StaffUser
from .. import audit
from ..auth import current_staff
from ..blueprint import bp


def display_name(user: StaffUser) -> str:
    """The name a staff member's comments carry: their display name, else their username."""
    return user.display_name or user.username


def voice_of(user: StaffUser) -> StaffVoice:
    """``user`` as their comments show them (the badge of their role today)."""
    return StaffVoice(user.id, display_name(user), badge_for_role(user.role))


def widget_staff() -> StaffVoice | None:
    """The staff member of this widget request, or None.

    The session cookie arrives only where the widget is first party (SameSite=Lax). A
    request the browser marks cross-site is a reader's whatever cookie it carries: a staff
    member never speaks as staff through another site's page.
    """
    if request.headers.get("Sec-Fetch-Site") == "cross-site":
        return None
    user = current_staff()
    return voice_of(user) if user is not None else None


def record_staff_comment(comment: Comment, voice: StaffVoice) -> None:
    """The audit row of a comment written as staff (in its transaction)."""
    audit.record(
        "comment.staff_post",
        "comment",
        comment.id,
        after={
            "thread_id": comment.thread_id,
            "parent_id": comment.parent_id,
            "name": voice.name,
            "badge": voice.badge,
        },
    )


@bp.record_once
def _register(state: BlueprintSetupState) -> None:
    register_staff_voice(state.app, widget_staff, record_staff_comment)
