"""Request data that no page of ours sends is cleaned or refused before a view reads it.

- NUL characters are dropped from form fields and query arguments: no text a reader or
  a moderator types holds one, PostgreSQL cannot store one (the insert failed, and a
  comment was answered "service busy"), and the comment renderer drops it anyway.
- Every state-changing request of the widgets and the staff area is an HTML form (htmx
  sends forms too). Flask-WTF would read a JSON body as the form instead, and a deeply
  nested or non-object JSON document then fails inside the form (a 500); such a request
  is a 400 here, with the usual error page.
- No form of ours takes a file: a file part where a view expects text (every field of a
  WTForms form reads files too) is a 400 before any view sees it.
- Bodies past MAX_CONTENT_LENGTH are refused (413) by Werkzeug before they are read, and
  so are multipart forms past MAX_FORM_MEMORY_SIZE or MAX_FORM_PARTS; an urlencoded body
  gets the same two limits here, since Werkzeug applies them to multipart only.
"""

from __future__ import annotations

from flask import Flask, Request, abort, request
from werkzeug.datastructures import ImmutableMultiDict, MultiDict
from werkzeug.exceptions import RequestEntityTooLarge
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
        if "form" not in self.__dict__ and self.mimetype == "application/x-www-form-urlencoded":
            self._refuse_oversized_urlencoded()
        super()._load_form_data()
        form = self.__dict__.get("form")
        if form and any("\x00" in k or "\x00" in v for k, v in form.items(multi=True)):
            self.__dict__["form"] = without_nul(form)

    def _refuse_oversized_urlencoded(self) -> None:
        # Read once (within MAX_CONTENT_LENGTH) and kept: the parser then reads the copy.
        data = self.get_data(cache=True)
        memory, parts = self.max_form_memory_size, self.max_form_parts
        if (memory is not None and len(data) > memory) or (
            parts is not None and data.count(b"&") >= parts
        ):
            raise RequestEntityTooLarge()

    @cached_property
    def args(self) -> ImmutableMultiDict:  # type: ignore[override]
        """The query string's arguments, without NUL characters (copied only if any)."""
        args = super().args
        if any("\x00" in k or "\x00" in v for k, v in args.items(multi=True)):
            return without_nul(args)
        return args


def init_request_guard(app: Flask) -> None:
    """Use the cleaning request class and register the JSON and file checks."""
    app.request_class = CleanRequest

    @app.before_request
    def refuse_json_form_posts() -> None:
        if (
            request.method in {"POST", "PUT", "PATCH", "DELETE"}
            and request.is_json
            and request.blueprint not in JSON_BLUEPRINTS
        ):
            abort(400)

    @app.before_request
    def refuse_files() -> None:
        if request.mimetype == "multipart/form-data" and request.files:
            abort(400)
