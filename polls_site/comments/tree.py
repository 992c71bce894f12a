"""How a thread's approved comments are laid out: two levels, sorted, a page at a time.

Readers see top-level comments and, under each, every reply to it or to its replies
in the order written. A reply to a reply is shown at the second level too, marked
"reply to <name>", so a long exchange never indents the narrow iframe away.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from ..core.converters import parse_count

SORTS = ("new", "old", "best")
DEFAULT_SORT = "new"
PAGE_SIZE = 20


@dataclass(frozen=True)
class CommentRow:
    """The fields of an approved comment that the widget shows."""

    id: int
    parent_id: int | None
    author_name: str
    html: str
    created_at: datetime
    edited_at: datetime | None
    likes: int
    # Staff voice: the author's badge ("editorial", "moderator"), when staff pinned the
    # comment (first in the thread) and whether it is an editor's pick.
    badge: str | None = None
    pinned_at: datetime | None = None
    picked: bool = False


@dataclass(frozen=True)
class Reply:
    """A second-level comment; ``reply_to`` names the author it answers below its root."""

    row: CommentRow
    reply_to: str | None = None


@dataclass
class Root:
    """A top-level comment and all the replies shown under it."""

    row: CommentRow
    replies: list[Reply] = field(default_factory=list)


def _root_id(row: CommentRow, by_id: dict[int, CommentRow]) -> int:
    current = row
    seen = {row.id}
    while current.parent_id in by_id and current.parent_id not in seen:
        current = by_id[current.parent_id]
        seen.add(current.id)
    return current.id


def build_tree(rows: list[CommentRow], sort: str = DEFAULT_SORT) -> list[Root]:
    """Arrange ``rows`` into roots with flattened replies, roots in ``sort`` order.

    "new" puts the newest first, "old" the oldest, "best" the most liked (newest first
    among equals). Pinned roots come before all of them, the latest pinned first. Replies
    are always chronological. A reply whose parent is not shown (rejected, deleted) stands
    as a root of its own.
    """
    by_id = {row.id: row for row in rows}
    roots: dict[int, Root] = {}
    for row in sorted(rows, key=lambda r: r.id):
        root_id = _root_id(row, by_id)
        if root_id == row.id:
            roots[row.id] = Root(row)
            continue
        parent = by_id[row.parent_id] if row.parent_id is not None else None
        reply_to = parent.author_name if parent is not None and parent.id != root_id else None
        roots[root_id].replies.append(Reply(row, reply_to))
    ordered = list(roots.values())
    if sort == "old":
        ordered.sort(key=lambda r: r.row.id)
    elif sort == "best":
        ordered.sort(key=lambda r: (-r.row.likes, -r.row.id))
    else:
        ordered.sort(key=lambda r: -r.row.id)
    return pinned_first(ordered)


def pinned_first(roots: list[Root]) -> list[Root]:
    """``roots`` with the pinned ones moved to the front, the latest pinned first; the
    others keep their order."""
    pinned = sorted(
        (r for r in roots if r.row.pinned_at is not None),
        key=lambda r: r.row.pinned_at,
        reverse=True,
    )
    return pinned + [r for r in roots if r.row.pinned_at is None]


def page_of(roots: list[Root], offset: int, size: int = PAGE_SIZE) -> tuple[list[Root], int | None]:
    """The roots from ``offset`` on (at most ``size``) and the offset of the next page, if any."""
    offset = max(offset, 0)
    chunk = roots[offset : offset + size]
    following = offset + size if offset + size < len(roots) else None
    return chunk, following


def parse_sort(value: str | None) -> str:
    """A known sort order, the default for anything else."""
    return value if value in SORTS else DEFAULT_SORT


def parse_offset(value: str | None) -> int:
    """A non-negative page offset; junk (or past any row count) means the first page."""
    return parse_count(value)
