"""Old RQ job paths ``polls_site.tasks.*``, kept for one release (see CHANGELOG.md).

RQ stores a job's function by its dotted path: a job queued, delayed or failed (kept a
week, retried from /staff/jobs) under the old layout still names this module;
new code imports from the packages named below.
"""

from .polls.jobs import recompute_results, reconcile_results
from .worker.retention import purge_expired_ip_hashes

__all__ = ["purge_expired_ip_hashes", "recompute_results", "reconcile_results"]
