"""Old RQ job paths ``polls_site.moderation_tasks.*``, kept for one release (CHANGELOG.md).

RQ stores a job's function by its dotted path: a job queued, delayed or failed (kept a
week, retried from /staff/jobs) under the old layout still names this module;
new code imports from ``polls_site.comments.jobs``.
"""

from .comments.jobs import moderate_comment, reconcile_comments

__all__ = ["moderate_comment", "reconcile_comments"]
