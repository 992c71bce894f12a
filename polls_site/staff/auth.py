"""Staff authentication: password hashes, the logged-in staff member and role checks.

The session is Flask's signed cookie. It holds the staff id, a random session id and
a fingerprint of the password hash; every request reloads the account, so disabling
it, changing its role or its password takes effect at once. Logging out revokes the
session id in Redis, so a copied cookie does not outlive the logout.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import logging
import secrets
import time
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import urlsplit

from flask import Response, abort, current_app, g, redirect, request, session, url_for
from redis.exceptions import RedisError

from ..core.db import db
from ..core.htmx import is_htmx
from ..core.keys import signing_keys
from ..core.redis import redis_client, rkey
from ..models import Role, StaffUser

log = logging.getLogger(__name__)

ROLE_ORDER = {Role.MODERATOR: 1, Role.EDITOR: 2, Role.ADMIN: 3}

F = TypeVar("F", bound=Callable[..., Any])


def has_role(user: StaffUser, role: Role) -> bool:
    """True when ``user``'s role includes ``role`` (moderator < editor < admin)."""
    return ROLE_ORDER.get(Role(user.role), 0) >= ROLE_ORDER[role]


def _password_fingerprint(user: StaffUser, key: str) -> str:
    # Changing the password ends every session made with the old one.
    return hmac.new(key.encode(), user.password_hash.encode(), hashlib.sha256).hexdigest()[:32]


def _revoked_key(session_id: str) -> str:
    return rkey("staff", "revoked", session_id)


def log_in(user: StaffUser) -> None:
    """Start a fresh session for ``user``: nothing of the previous session survives."""
    session.clear()
    session.permanent = True
    session["staff_id"] = user.id
    session["staff_sid"] = secrets.token_urlsafe(16)
    session["staff_pw"] = _password_fingerprint(user, current_app.config["SECRET_KEY"])
    session["staff_at"] = int(time.time())
    g.staff = user


def log_out() -> None:
    """End the session and revoke its id until the cookie would have expired anyway."""
    session_id = session.get("staff_sid")
    session.clear()
    g.staff = None
    if session_id:
        lifetime = int(current_app.permanent_session_lifetime.total_seconds())
        try:
            redis_client().set(_revoked_key(session_id), "1", ex=lifetime)
        except RedisError as exc:
            log.warning("could not revoke a staff session, Redis unavailable: %s", exc)


def _session_revoked(session_id: str) -> bool:
    try:
        return bool(redis_client().exists(_revoked_key(session_id)))
    except RedisError as exc:
        # The cookie still expires on its own; refusing every moderator would be worse.
        log.warning("could not check staff session revocation: %s", exc)
        return False


def _load_staff() -> StaffUser | None:
    staff_id, session_id = session.get("staff_id"), session.get("staff_sid")
    if not isinstance(staff_id, int) or not isinstance(session_id, str):
        return None
    lifetime = current_app.permanent_session_lifetime.total_seconds()
    if time.time() - session.get("staff_at", 0) > lifetime:
        return None
    user = db.session.get(StaffUser, staff_id)
    if user is None or not user.active:
        return None
    given = session.get("staff_pw", "")
    # A session from before a SECRET_KEY rotation is kept while the old key is a fallback.
    if not isinstance(given, str) or not any(
        hmac.compare_digest(given, _password_fingerprint(user, key)) for key in signing_keys()
    ):
        return None
    if _session_revoked(session_id):
        return None
    return user


def current_staff() -> StaffUser | None:
    """The logged-in, active staff member of this request, or None (looked up once)."""
    if "staff" not in g:
        g.staff = _load_staff()
    return g.staff


def safe_next(target: str | None) -> str:
    """``target`` when it is a staff page of this site, else the queue (no open redirect)."""
    if target and target.startswith("/staff/") and "\\" not in target and "//" not in target:
        return target
    return url_for("staff.queue")


def _to_login() -> Response:
    # A GET comes back to the same page after login; a form post is not replayed, so it
    # comes back to the queue.
    target = request.full_path.rstrip("?") if request.method == "GET" else None
    if is_htmx():
        # htmx would follow a redirect and swap the login page into a table row; and
        # after login the moderator wants the page, not the fragment it was polling.
        page = urlsplit(request.headers.get("HX-Current-URL", ""))
        target = f"{page.path}?{page.query}" if page.query else page.path
        response = Response(status=401)
        login_url = url_for("staff.login", next=target or None)
        response.headers["HX-Redirect"] = login_url
        return response
    return redirect(url_for("staff.login", next=target), code=303)


def staff_required(role: Role) -> Callable[[F], F]:
    """Allow the view to staff with ``role`` or a higher one.

    Nobody logged in: redirect to the login page (back here afterwards). Logged in
    without the role: 403. The role is kept on the view as ``staff_role`` so tests
    can check that every staff route has one.
    """

    def decorate(view: F) -> F:
        @functools.wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            user = current_staff()
            if user is None:
                return _to_login()
            if not has_role(user, role):
                abort(403)
            return view(*args, **kwargs)

        wrapped.staff_role = role  # type: ignore[attr-defined]
        return wrapped  # type: ignore[return-value]

    return decorate
