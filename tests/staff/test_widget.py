"""From the reader's widget through the auto-moderator to the queue and back: an approved
comment appears in the widget, a rejected one never does, a banned author cannot post."""

from __future__ import annotations

from flask import Flask

from tests.support.app import drain_queue
from tests.support.comments import Commenting, comment_rows


def test_queue_decisions_show_in_the_readers_widget(
    app: Flask, other_reader: Commenting, moderator
) -> None:
    # Its own browser: in the moderator's, the widget would post as staff.
    reader = Commenting(app.test_client())
    assert reader.post(text="Автор дурак, но пишет по делу").status_code in (200, 201)
    assert reader.post(text="Все они дураки и воры").status_code in (200, 201)
    drain_queue(app)  # the auto-moderator sends both to a person
    kept, dropped = comment_rows(app)
    assert (kept.status, dropped.status) == ("review", "review")
    queue = moderator.get("/staff/queue").get_data(as_text=True)
    assert f'id="comment-{kept.id}"' in queue and "<mark>дурак</mark>" in queue
    assert "Автор дурак" not in other_reader.open().get_data(as_text=True)

    moderator.post(f"/staff/comments/{kept.id}/approve", {"revision": kept.revision}, htmx=True)
    moderator.post(
        f"/staff/comments/{dropped.id}/reject",
        {"revision": dropped.revision, "reason": "оскорбление"},
        htmx=True,
    )
    widget = other_reader.open().get_data(as_text=True)
    assert "Автор дурак, но пишет по делу" in widget
    assert "воры" not in widget


def test_a_banned_author_cannot_post(app: Flask, moderator) -> None:
    # Its own browser: in the moderator's, the widget would post as staff.
    reader = Commenting(app.test_client())
    reader.post(text="Все они дураки")
    drain_queue(app)
    [comment] = comment_rows(app)
    reply = moderator.post(
        f"/staff/comments/{comment.id}/ban",
        {"revision": comment.revision, "by_voter": "1", "by_ip": "1", "days": "1"},
    )
    assert reply.status_code == 303
    refused = reader.post(text="А я снова здесь")
    assert refused.status_code >= 400
    assert len(comment_rows(app)) == 1
