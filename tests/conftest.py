"""The suite's root: its own metric files, and the shared helpers loaded as plugins."""

import os
import tempfile

# Before polls_site imports prometheus_client: this run's metric files stay apart.
os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="polls-metrics-")

pytest_plugins = [
    "tests.support.app",
    "tests.support.factories",
    "tests.support.polls",
    "tests.support.comments",
    "tests.support.staff",
    "tests.support.browser",
    "tests.support.live",
    "tests.support.edge",
    "tests.support.faults",
    "tests.support.pgbouncer",
    "tests.support.mail",
]
