"""The cookie session only the staff area uses, and the CSRF protection that lives in it."""

from __future__ import annotations

from flask import Flask, Request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from flask_wtf import CSRFProtect

csrf = CSRFProtect()


class LazySessionInterface(SecureCookieSessionInterface):
    """Flask's cookie session, without building its signer for requests that carry none.

    Widget readers never have a session cookie; only the staff area uses one.
    """

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        """An empty session when there is no cookie, else Flask's usual one."""
        if self.get_cookie_name(app) not in request.cookies:
            return self.session_class()
        return super().open_session(app, request)
