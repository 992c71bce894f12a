"""Old RQ job path ``polls_site.lifecycle.run_schedule``, kept for one release (CHANGELOG.md).

RQ stores a job's function by its dotted path: a job queued, delayed or failed (kept a
week, retried from /staff/jobs) under the old layout still names this module;
new code imports from ``polls_site.polls.lifecycle``.
"""

from .polls.lifecycle import run_schedule

__all__ = ["run_schedule"]
