"""Ids from outside (URL paths, query strings, forms) stay within the database's range."""

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


def parse_id(value: object) -> int | None:
    """``value`` as a row id (1 to MAX_ID, ASCII digits), or None for anything else.

    ``str.isdigit()`` accepts "²" and ``int()`` takes "٣" or "1_000"; past MAX_ID a query
    fails in the database (PostgreSQL's integer) or the driver (SQLite past 64 bits).
    """
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str) and value.isascii() and value.isdigit():
        number = int(value)
    else:
        return None
    return number if 1 <= number <= MAX_ID else None


def parse_count(value: object, default: int = 0) -> int:
    """A page number or offset from outside: ASCII digits up to MAX_ID, else ``default``
    (a larger one would overflow the database's OFFSET arithmetic)."""
    if isinstance(value, str) and value.isascii() and value.isdigit():
        number = int(value)
        return number if number <= MAX_ID else default
    return default
