"""The staff area under /staff/: login, moderation, the poll editor, accounts, audit log."""

from __future__ import annotations

# Importing the view modules registers their routes on ``bp``.
from . import accounts, auditlog, jobs, login, notifications, privacy  # noqa: F401
from .blueprint import bp
from .moderation import authors, words  # noqa: F401
from .moderation import routes as moderation_routes  # noqa: F401
from .poll_editor import results as poll_results  # noqa: F401
from .poll_editor import routes as poll_editor_routes  # noqa: F401
from .poll_editor import status as poll_editor_status  # noqa: F401
from .threads import comments as thread_comments  # noqa: F401
from .threads import routes as thread_routes  # noqa: F401
from .threads import voice  # noqa: F401

__all__ = ["bp"]
