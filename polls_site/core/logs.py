"""Structured logs: one JSON line per request and per job, with a request id.

The request id comes from a valid ``X-Request-ID`` header (set by the proxy) or is
made here; it is echoed in the response and carried into the jobs the request
enqueues. Lines never hold client IPs, form contents or secrets.
"""

from __future__ import annotations

import json
import logging
import re
import secrets
import time
from datetime import UTC, datetime

from flask import Flask, Response, g, has_request_context, request

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
# Attributes every LogRecord has; anything else was passed through ``extra``.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}

_POLLING_ENDPOINTS = frozenset({"polls.results", "comments.updates"})

log = logging.getLogger("polls_site.request")


_second: tuple[int, str] = (-1, "")


def iso_millis(created: float) -> str:
    """``created`` (a Unix time) as ISO 8601 UTC to the millisecond, as
    ``datetime.isoformat(timespec="milliseconds")`` writes it.

    The date and time of day are formatted once per second (every request writes a line).
    """
    global _second
    whole = int(created)
    # Rounded to the microsecond first, as datetime does.
    micros = round((created - whole) * 1_000_000)
    if micros >= 1_000_000:
        whole, micros = whole + 1, micros - 1_000_000
    second, prefix = _second
    if second != whole:
        prefix = datetime.fromtimestamp(whole, UTC).strftime("%Y-%m-%dT%H:%M:%S")
        _second = (whole, prefix)
    return f"{prefix}.{micros // 1000:03d}+00:00"


class JsonFormatter(logging.Formatter):
    """Formats a record as one JSON object: time, level, logger, message and extras."""

    def format(self, record: logging.LogRecord) -> str:
        """The record as a JSON line."""
        line = {
            "ts": iso_millis(record.created),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        if has_request_context() and "request_id" in g:
            line["request_id"] = g.request_id
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                line[key] = value
        if record.exc_info:
            line["exc"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


def current_request_id() -> str | None:
    """This request's id, or None outside a request."""
    return g.get("request_id") if has_request_context() else None


TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def use_text_logs() -> None:
    """Switch this process's log lines to text, for a console a person reads."""
    for handler in logging.getLogger().handlers:
        if getattr(handler, "_polls_site", False):
            handler.setFormatter(logging.Formatter(TEXT_FORMAT))


def init_logging(app: Flask) -> None:
    """JSON lines on stderr (LOG_FORMAT=text for a console), and per-request logging."""
    # Our lines carry no file/line/thread fields, so skip the stack walk and lookups
    # that logging does for every record (the logging docs' "Optimization" advice).
    logging._srcfile = None
    logging.logThreads = logging.logProcesses = logging.logMultiprocessing = False
    root = logging.getLogger()
    if not any(getattr(h, "_polls_site", False) for h in root.handlers):
        handler = logging.StreamHandler()
        handler._polls_site = True  # type: ignore[attr-defined]
        if app.config["LOG_FORMAT"] == "json":
            handler.setFormatter(JsonFormatter())
        else:
            handler.setFormatter(logging.Formatter(TEXT_FORMAT))
        root.addHandler(handler)
        root.setLevel(logging.INFO)
        # The morphological analyser announces its dictionary at INFO in every process
        # that declines a name: two lines per gunicorn worker that say nothing an
        # operator acts on.
        logging.getLogger("pymorphy3").setLevel(logging.WARNING)

    @app.before_request
    def start_request() -> None:
        given = request.headers.get("X-Request-ID", "")
        g.request_id = given if _REQUEST_ID.match(given) else secrets.token_hex(16)
        g.request_started = time.perf_counter()

    @app.after_request
    def log_request(response: Response) -> Response:
        response.headers["X-Request-ID"] = g.get("request_id", "")
        # "Nothing new" answers (204) to the widgets' polling are every open widget's
        # tick: a line each would drown the log and cost a third of the cheapest request;
        # the metrics count them (polls_http_requests_total{endpoint=...,status="204"}).
        unchanged_poll = response.status_code == 204 and request.endpoint in _POLLING_ENDPOINTS
        if app.config["LOG_REQUESTS"] and not unchanged_poll:
            log.info(
                "request",
                extra={
                    "method": request.method,
                    "path": request.path,
                    "endpoint": request.endpoint,
                    "status": response.status_code,
                    "ms": round((time.perf_counter() - g.get("request_started", 0)) * 1000, 2),
                },
            )
        return response
