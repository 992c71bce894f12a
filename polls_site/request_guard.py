"""Request bodies that no page of ours sends are refused before a view parses them.

Every state-changing request of the widgets and the staff area is an HTML form (htmx
sends forms too). Flask-WTF would read a JSON body as the form instead, and a deeply
nested or non-object JSON document then fails inside the form (a 500); such a request is
a 400 here, with the usual error page.
"""

from __future__ import annotations

from flask import Flask, abort, request

# Blueprints that may one day take JSON bodies deliberately (none does yet).
JSON_BLUEPRINTS = {"api"}


def init_request_guard(app: Flask) -> None:
    """Register the check."""

    @app.before_request
    def refuse_json_form_posts() -> None:
        if (
            request.method in {"POST", "PUT", "PATCH", "DELETE"}
            and request.is_json
            and request.blueprint not in JSON_BLUEPRINTS
        ):
            abort(400)
