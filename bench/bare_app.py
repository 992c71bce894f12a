"""The baseline: a bare Flask route served under the same gunicorn settings as the app."""

from __future__ import annotations

from flask import Flask

app = Flask(__name__)


@app.get("/hello")
def hello() -> str:
    """A short constant string: the framework and server ceiling."""
    return "hello"
