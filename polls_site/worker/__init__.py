"""The worker's duties: periodic enqueues, abandoned jobs, retention (it knows every job)."""
