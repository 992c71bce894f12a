"""The worker process and its duties: periodic enqueues, abandoned jobs, retention (it knows
every job); run.py is the process itself."""
