"""The staff area's blueprint: its own security headers, template helpers and filters."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlsplit

from flask import Blueprint, Response

from ..core.dates import site_time
from ..models import Role
from .auth import current_staff, has_role
from .moderation.decisions import pending_count, status_label

bp = Blueprint("staff", __name__, url_prefix="/staff")

# Staff pages are first party and never framed; they show personal data, so no caching.
_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


@bp.after_request
def _staff_headers(response: Response) -> Response:
    response.headers["Content-Security-Policy"] = _CSP
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["Cache-Control"] = "no-store"
    response.vary.add("HX-Request")
    response.vary.add("Cookie")
    return response


@bp.context_processor
def _staff_helpers() -> dict:
    return {
        "current_staff": current_staff,
        "staff_has_role": lambda user, role: has_role(user, Role(role)),
        "pending_count": pending_count,
        "status_label": status_label,
    }


@bp.app_template_filter("http_url")
def _http_url(value: str | None) -> str:
    # Thread URLs come from the embedding page: only web links become hrefs.
    return value if value and urlsplit(value).scheme in {"http", "https"} else ""


@bp.app_template_filter("staff_time")
def _staff_time(value: datetime) -> str:
    # Staff pages run no date script: the site's one format, its zone named.
    return site_time(value)
