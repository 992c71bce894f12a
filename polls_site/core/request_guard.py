"""Request data that no page of ours sends is cleaned or refused before a view reads it.

- NUL characters are dropped from form fields and query arguments: no text a reader or
  a moderator types holds one, PostgreSQL cannot store one (the insert failed, and a
  comment was answered "service busy"), and the comment renderer drops it anyway.
- Every state-changing request of the widgets and the staff area is an HTML form (htmx
  sends forms too). Flask-WTF would read a JSON body as the form instead, and a deeply
  nested or non-object JSON document then fails inside the form (a 500); such a request
  is a 400 here, with the usual error page.
"""

from __future__ import annotations

from flask import Flask, Request, abort, request
from werkzeug.datastructures import ImmutableMultiDict, MultiDict
from werkzeug.utils import cached_property

# Blueprints that may one day take JSON bodies deliberately (none does yet).
JSON_BLUEPRINTS = {"api"}


def without_nul(data: MultiDict) -> ImmutableMultiDict:
    """``data`` with every NUL character removed from its keys and values."""
    return ImmutableMultiDict(
        [
            (key.replace("\x00", ""), value.replace("\x00", ""))
            for key, value in data.items(multi=True)
        ]
    )


class CleanRequest(Request):
    """Flask's request, with NUL characters dropped from the form and the query string."""

    def _load_form_data(self) -> None:
        super()._load_form_data()
        form = self.__dict__.get("form")
        if form and any("\x00" in k or "\x00" in v for k, v in form.items(multi=True)):
            self.__dict__["form"] = without_nul(form)

    @cached_property
    def args(self) -> ImmutableMultiDict:  # type: ignore[override]
        """The query string's arguments, without NUL characters."""
        return without_nul(super().args)


def init_request_guard(app: Flask) -> None:
    """Use the cleaning request class and register the JSON check."""
    app.request_class = CleanRequest

    @app.before_request
    def refuse_json_form_posts() -> None:
        if (
            request.method in {"POST", "PUT", "PATCH", "DELETE"}
            and request.is_json
            and request.blueprint not in JSON_BLUEPRINTS
        ):
            abort(400)
