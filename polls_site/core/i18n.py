"""Locale selection and the Jinja helpers that speak Russian by default."""

from __future__ import annotations

from typing import Any

from flask import Flask, current_app, has_request_context, request
from flask_babel import Babel, get_locale

from .dates import site_time, time_tag

babel = Babel()


def explicit_lang() -> str | None:
    """The supported language named by ``?lang=`` on this request, if any."""
    lang = request.args.get("lang")
    return lang if lang in current_app.config["LANGUAGES"] else None


def select_locale() -> str:
    """The widget's language: ``?lang=`` when it names a supported one, else the default.

    The portal decides the language of its page, so the reader's Accept-Language
    does not switch a Russian portal's widgets to English.
    """
    return explicit_lang() or current_app.config["BABEL_DEFAULT_LOCALE"]


def _keep_lang(endpoint: str, values: dict[str, Any]) -> None:
    # Links and htmx URLs inside a widget keep the language it was opened in.
    if endpoint != "static" and "lang" not in values and has_request_context():
        lang = explicit_lang()
        if lang:
            values["lang"] = lang


def init_i18n(app: Flask) -> None:
    """Set up Flask-Babel with our locale selector."""
    babel.init_app(app, locale_selector=select_locale)
    app.url_defaults(_keep_lang)
    app.jinja_env.globals["get_locale"] = get_locale
    app.jinja_env.globals["time_tag"] = time_tag
    app.jinja_env.filters["site_time"] = site_time
