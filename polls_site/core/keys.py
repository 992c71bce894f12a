"""The keys that sign what the site hands out, for rotating SECRET_KEY without a flag day."""

from __future__ import annotations

from flask import current_app


def signing_keys() -> list[str]:
    """SECRET_KEY_FALLBACKS then SECRET_KEY: itsdangerous signs with the last key of the
    list and accepts a signature by any, so cookies and tokens signed before a rotation
    stay valid until the old key is dropped from the fallbacks."""
    config = current_app.config
    return [*config["SECRET_KEY_FALLBACKS"], config["SECRET_KEY"]]
