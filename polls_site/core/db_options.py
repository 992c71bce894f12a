"""How the database engine pools its connections: SQLAlchemy's engine options from the
DATABASE_* settings, each checked so that a bad value stops start-up with its name."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def setting_bool(name: str, value: object) -> bool:
    """``value`` of the setting ``name`` as a bool (a bool, or 1/0, true/false, yes/no, on/off)."""
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError(f"{name} must be 1 or 0 (true/false, yes/no, on/off), not {value!r}")


def setting_number(name: str, value: object, *, least: float, whole: bool = True) -> float:
    """``value`` of the setting ``name`` as a number of at least ``least`` (an int if
    ``whole``)."""
    kind = "a whole number" if whole else "a number"
    try:
        number = int(str(value).strip()) if whole else float(str(value).strip())
    except ValueError as exc:
        raise ValueError(f"{name} must be {kind}, not {value!r}") from exc
    if not number >= least:  # also refuses NaN
        raise ValueError(f"{name} must be at least {least:g}, not {value!r}")
    return number


def engine_options(url: str, settings: Mapping[str, Any]) -> dict[str, Any]:
    """SQLAlchemy's ``create_engine`` options for the database at ``url``.

    Every DATABASE_* setting is checked whatever the database. SQLite keeps SQLAlchemy's
    pool (one local file: no server to lose, no connection limit to share), so the pool
    sizes, pre-ping and DATABASE_PGBOUNCER apply to PostgreSQL.
    """
    pool_size = setting_number("DATABASE_POOL_SIZE", settings["DATABASE_POOL_SIZE"], least=1)
    max_overflow = setting_number(
        "DATABASE_MAX_OVERFLOW", settings["DATABASE_MAX_OVERFLOW"], least=0
    )
    pool_timeout = setting_number(
        "DATABASE_POOL_TIMEOUT", settings["DATABASE_POOL_TIMEOUT"], least=0, whole=False
    )
    # -1 is SQLAlchemy's "never"; 0 would replace every connection at each checkout.
    recycle = setting_number("DATABASE_POOL_RECYCLE", settings["DATABASE_POOL_RECYCLE"], least=-1)
    if recycle == 0:
        raise ValueError("DATABASE_POOL_RECYCLE must be -1 (never) or a number of seconds")
    pre_ping = setting_bool("DATABASE_POOL_PRE_PING", settings["DATABASE_POOL_PRE_PING"])
    pgbouncer = setting_bool("DATABASE_PGBOUNCER", settings["DATABASE_PGBOUNCER"])
    if url.startswith("sqlite"):
        if pgbouncer:
            raise ValueError("DATABASE_PGBOUNCER is set but DATABASE_URL is not PostgreSQL")
        return {"connect_args": {"timeout": 30}}
    options: dict[str, Any] = {
        "pool_size": pool_size,
        "max_overflow": max_overflow,
        "pool_timeout": pool_timeout,
        "pool_recycle": recycle,
        # A server may have closed idle connections (restart, failover): test before use.
        "pool_pre_ping": pre_ping,
    }
    if pgbouncer:
        # In transaction pooling each transaction may run on another server connection,
        # and a statement psycopg prepared on one is missing on the others ("prepared
        # statement "_pg3_0" does not exist"): never prepare.
        options["connect_args"] = {"prepare_threshold": None}
    return options
