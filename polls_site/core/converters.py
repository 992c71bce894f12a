"""URL converters: ids in URLs stay within the database's integer range."""

from __future__ import annotations

from typing import Any

from werkzeug.routing import IntegerConverter, Map

# Primary keys are 32-bit integers on PostgreSQL; SQLite refuses Python ints past 64 bits.
MAX_ID = 2**31 - 1


class IdConverter(IntegerConverter):
    """``<int:...>`` that does not match past MAX_ID, so a huge id is a 404 like an unknown
    one instead of a database error."""

    def __init__(self, map: Map, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)
