"""Start an RQ worker for polls_site: ``python worker.py`` (``--burst`` to drain and exit).

A thin entry point at the top level (the design card); the same as ``polls-site-worker``.
"""

from polls_site.cli import worker_main

if __name__ == "__main__":
    raise SystemExit(worker_main())
