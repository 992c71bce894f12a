"""Fingerprinted static URLs: ``url_for('static', filename=...)`` carries ``?v=<hash>``.

The hash is a prefix of the file's SHA-256, computed once per file per process (a
deploy restarts the processes, so a changed file gets a new URL). A request whose
``v`` is the file's hash gets a year of immutable caching: the browser never asks
again, and the second widget on a portal page reuses the first one's htmx. Any other
request (no ``v``, or an old one) gets a short policy that revalidates. nginx serves
the same folder itself (deploy/nginx/), and caches every ``?v=`` URL for a year.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path
from typing import Any

from flask import Flask, Response, current_app, request

HASH_LENGTH = 12
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "public, max-age=300, must-revalidate"


@lru_cache(maxsize=256)
def file_hash(folder: str, filename: str) -> str | None:
    """The fingerprint of ``folder/filename``, or None when there is no such file."""
    path = Path(folder, filename)
    try:
        data = path.read_bytes()
    except OSError:
        return None
    return hashlib.sha256(data).hexdigest()[:HASH_LENGTH]


def static_hash(filename: str) -> str | None:
    """The fingerprint of static file ``filename`` of the current app."""
    folder = current_app.static_folder
    if folder is None or Path(filename).is_absolute() or ".." in Path(filename).parts:
        return None
    return file_hash(folder, filename)


def _add_fingerprint(endpoint: str, values: dict[str, Any]) -> None:
    if endpoint != "static" or "v" in values or "filename" not in values:
        return
    fingerprint = static_hash(values["filename"])
    if fingerprint:
        values["v"] = fingerprint


def _static_cache_control(response: Response) -> Response:
    if request.endpoint != "static" or response.status_code not in (200, 304):
        return response
    filename = (request.view_args or {}).get("filename", "")
    fingerprint = static_hash(filename)
    if fingerprint and request.args.get("v") == fingerprint:
        response.headers["Cache-Control"] = IMMUTABLE
    else:
        response.headers["Cache-Control"] = REVALIDATE
    return response


def init_static_files(app: Flask) -> None:
    """Fingerprint static URLs and set their caching on ``app``."""
    app.url_defaults(_add_fingerprint)
    app.after_request(_static_cache_control)
