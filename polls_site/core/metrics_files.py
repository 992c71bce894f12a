"""The files of prometheus-client's multiprocess mode: which belong to dead processes.

Every process that records a metric writes ``<kind>_<pid>.db`` files into
PROMETHEUS_MULTIPROC_DIR, and a scrape adds up all of them. Web servers and workers of
one host share the directory, so whoever starts must not empty it (that would drop the
running workers' samples, as gunicorn's start once did): it removes only the files of
processes that no longer exist.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

_PID = re.compile(r"_(\d+)\.db$")


def process_alive(pid: int) -> bool:
    """True if a process with this id exists (signal 0 checks without sending anything)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it exists, under another user
    return True


def remove_dead_process_files(folder: str | os.PathLike[str]) -> list[str]:
    """Delete the sample files of processes that are gone; the names of those deleted."""
    removed = []
    directory = Path(folder)
    if not directory.is_dir():
        return removed
    for path in directory.iterdir():
        match = _PID.search(path.name)
        if match and not process_alive(int(match.group(1))):
            path.unlink(missing_ok=True)
            removed.append(path.name)
    return sorted(removed)
