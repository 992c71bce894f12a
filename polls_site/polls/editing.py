"""The rules of the poll editor's option list, as pure functions over the submitted rows.

The editor form carries one row per option: ``row`` (an existing option's id, or
"new<N>" for a row added in this form), ``text-<row>`` and ``hidden-<row>``. Moving,
adding and removing rows re-renders the form without saving (buttons named ``op``),
so the list can be edited without JavaScript; saving checks the rules that protect
votes already cast.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from flask_babel import gettext as _

from ..core.converters import parse_id

MAX_OPTIONS = 20
MIN_OPTIONS = 2
MAX_OPTION_TEXT = 300


@dataclass(frozen=True)
class OptionRow:
    """One option as the editor form has it."""

    key: str
    text: str
    hidden: bool = False

    @property
    def option_id(self) -> int | None:
        """The id of the stored option this row edits, or None for a new row."""
        return parse_id(self.key)


@dataclass(frozen=True)
class TextChange:
    """An option with votes whose text the editor changed (needs confirmation)."""

    option_id: int
    old: str
    new: str


def parse_rows(form: Mapping[str, str], keys: Sequence[str]) -> list[OptionRow]:
    """The rows named by ``keys`` (the form's ``row`` values, in order), stripped."""
    rows, seen = [], set()
    for key in keys:
        if key in seen or not (parse_id(key) or (key.startswith("new") and key[3:].isdecimal())):
            continue
        seen.add(key)
        text = " ".join((form.get(f"text-{key}") or "").split())
        rows.append(OptionRow(key=key, text=text, hidden=bool(form.get(f"hidden-{key}"))))
    return rows


def next_new_key(rows: Sequence[OptionRow]) -> str:
    """A "new<N>" key not used by any row."""
    used = {int(r.key[3:]) for r in rows if r.key.startswith("new")}
    return f"new{max(used, default=0) + 1}"


def apply_op(
    rows: list[OptionRow], op: str, votes: Mapping[int, int]
) -> tuple[list[OptionRow], str | None]:
    """The rows after ``op`` ("add", "up:<key>", "down:<key>", "remove:<key>"), and a
    message when the operation is refused."""
    if op == "add":
        if len(rows) >= MAX_OPTIONS:
            return rows, _("A poll can have at most %(num)d options.", num=MAX_OPTIONS)
        return [*rows, OptionRow(key=next_new_key(rows), text="")], None
    action, _sep, key = op.partition(":")
    index = next((i for i, r in enumerate(rows) if r.key == key), None)
    if index is None or action not in {"up", "down", "remove"}:
        return rows, None
    rows = list(rows)
    if action == "remove":
        row = rows[index]
        if row.option_id is not None and votes.get(row.option_id, 0) > 0:
            return rows, _(
                "The option “%(text)s” already has votes: it cannot be deleted, only hidden.",
                text=row.text,
            )
        del rows[index]
        return rows, None
    other = index - 1 if action == "up" else index + 1
    if 0 <= other < len(rows):
        rows[index], rows[other] = rows[other], rows[index]
    return rows, None


def check_rows(
    rows: Sequence[OptionRow],
    stored: Mapping[int, str],
    votes: Mapping[int, int],
) -> tuple[list[str], list[TextChange]]:
    """Errors that stop a save, and text changes of options with votes (to confirm).

    ``stored`` maps the poll's stored option ids to their texts.
    """
    errors = []
    if len(rows) > MAX_OPTIONS:
        errors.append(_("A poll can have at most %(num)d options.", num=MAX_OPTIONS))
    if sum(1 for r in rows if not r.hidden) < MIN_OPTIONS:
        errors.append(_("A poll needs at least two visible options."))
    if any(not r.text for r in rows):
        errors.append(_("Every option needs a text."))
    if any(len(r.text) > MAX_OPTION_TEXT for r in rows):
        errors.append(_("An option can be at most %(num)d characters long.", num=MAX_OPTION_TEXT))
    texts = [r.text.casefold() for r in rows if r.text]
    if len(set(texts)) != len(texts):
        errors.append(_("Two options have the same text."))
    kept = {r.option_id for r in rows}
    for option_id, text in stored.items():
        if option_id not in kept and votes.get(option_id, 0) > 0:
            errors.append(
                _(
                    "The option “%(text)s” already has votes: it cannot be deleted, only hidden.",
                    text=text,
                )
            )
    changes = [
        TextChange(r.option_id, stored[r.option_id], r.text)
        for r in rows
        if r.option_id in stored
        and votes.get(r.option_id, 0) > 0
        and r.text
        and r.text != stored[r.option_id]
    ]
    return errors, changes


def rows_from_options(options: Sequence[tuple[int, str, bool]]) -> list[OptionRow]:
    """Rows for stored (id, text, hidden) options, in the editors' order."""
    return [OptionRow(key=str(i), text=t, hidden=h) for i, t, h in options]
