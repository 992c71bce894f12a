"""The reader's links from notification mail: confirm a subscription, unsubscribe.

A GET only shows a page with a button: mail scanners fetch links, and a fetch must not
confirm or unsubscribe anybody. The button POSTs, and so does a mail client's one-click
unsubscribe (RFC 8058: ``List-Unsubscribe=One-Click`` in the body). The signed token is
the authority, so these forms carry no CSRF token.
"""

from __future__ import annotations

from flask import Blueprint, Response, render_template

from ..core.db import db
from ..core.session import csrf
from ..models import Thread
from .subscriptions import confirm as confirm_subscription
from .subscriptions import unsubscribe as end_subscriptions
from .tokens import read_confirm_token, read_unsubscribe_token

bp = Blueprint("notifications", __name__, url_prefix="/notify")
csrf.exempt(bp)


def _page(state: str, status: int = 200, **context) -> tuple[str, int]:
    return render_template("notifications/page.html", state=state, **context), status


def _bad_link() -> tuple[str, int]:
    return _page("bad_link", 404)


@bp.get("/confirm/<token>")
def confirm(token: str) -> Response | tuple[str, int]:
    """Ask the reader to press «Подтвердить»."""
    if read_confirm_token(token) is None:
        return _bad_link()
    return _page("confirm_ask", token=token)


@bp.post("/confirm/<token>")
def confirm_post(token: str) -> Response | tuple[str, int]:
    """Confirm the subscription the link names."""
    data = read_confirm_token(token)
    if data is None:
        return _bad_link()
    subscription = confirm_subscription(int(data["s"]), str(data["e"]))
    if subscription is None:
        return _bad_link()
    return _page("confirmed")


def _thread_title(thread_id: int | None) -> str:
    thread = db.session.get(Thread, thread_id) if thread_id is not None else None
    return (thread.title or thread.key) if thread is not None else ""


@bp.get("/unsubscribe/<token>")
def unsubscribe(token: str) -> Response | tuple[str, int]:
    """Show what the link unsubscribes from, with the button (and the «from all» one)."""
    data = read_unsubscribe_token(token)
    if data is None:
        return _bad_link()
    return _page("unsubscribe_ask", token=token, thread=_thread_title(data["t"]), scope=data["t"])


@bp.post("/unsubscribe/<token>")
def unsubscribe_post(token: str) -> Response | tuple[str, int]:
    """Unsubscribe (one-click from a mail client, or the page's button)."""
    data = read_unsubscribe_token(token)
    if data is None:
        return _bad_link()
    end_subscriptions(str(data["e"]), data["t"])
    return _page("unsubscribed", scope=data["t"], thread=_thread_title(data["t"]))
