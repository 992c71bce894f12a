"""Error pages that fit inside a widget: a clear message, never a traceback."""

from __future__ import annotations

import logging

from flask import Flask, Response, render_template
from flask_babel import gettext as _
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException

from .htmx import is_htmx

log = logging.getLogger(__name__)


def _messages() -> dict[int, str]:
    return {
        400: _("The request could not be understood."),
        403: _("Access denied."),
        404: _("Not found: the poll may have been removed."),
        405: _("This address does not accept that kind of request."),
        413: _("The request is too large."),
        429: _("Too many requests. Please try again later."),
        500: _("Something went wrong on our side. Please try again later."),
        503: _("The service is temporarily unavailable. Please try again in a minute."),
    }


def render_error(status: int, message: str | None = None) -> Response:
    """A page (or, for htmx, a fragment) explaining ``status`` in the reader's language.

    ``message`` says exactly what was wrong; without it the status's general message.
    """
    if message is None:
        message = _messages().get(status, _messages()[500])
    template = "errors/_error.html" if is_htmx() else "errors/error.html"
    try:
        body = render_template(template, status=status, message=message)
    except Exception:
        # The error page itself failed (a broken template): plain text still helps.
        log.exception("error page for %s failed", status)
        body, template = message, ""
    response = Response(body, status=status, mimetype="text/html" if template else "text/plain")
    response.headers["Cache-Control"] = "no-store"
    return response


def init_errors(app: Flask) -> None:
    """Register the handlers: HTTP errors, a lost database (503) and anything else (500)."""

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Response:
        response = render_error(exc.code or 500)
        if exc.code == 405 and exc.valid_methods:
            response.headers["Allow"] = ", ".join(exc.valid_methods)
        return response

    @app.errorhandler(OperationalError)
    def database_unavailable(exc: OperationalError) -> Response:
        log.error("database unavailable: %s", exc)
        return render_error(503)

    @app.errorhandler(PoolTimeout)
    def database_busy(exc: PoolTimeout) -> Response:
        # Every pooled connection stayed busy for DATABASE_POOL_TIMEOUT: an overload, which
        # passes like an outage.
        log.error("no database connection free: %s", exc)
        return render_error(503)

    @app.errorhandler(Exception)
    def unexpected(exc: Exception) -> Response:
        log.exception("unhandled error")
        return render_error(500)
