"""Two moderators, one comment: one decision stands, the other is told "уже обработан"."""

from __future__ import annotations

import threading

import pytest
from flask import Flask

from polls_site.models import CommentStatus, Role
from polls_site.staff.moderation import decisions as moderation
from tests.support.comments import approved_count, comment_state, thread_count
from tests.support.factories import make_comment, make_staff
from tests.support.staff import StaffClient, audit_rows


def test_second_moderator_with_an_old_page_is_told_what_happened(app, moderator, admin) -> None:
    comment_id = make_comment(app, status=CommentStatus.REVIEW)
    seen = comment_state(app, comment_id)[1]  # both pages show this revision
    first = moderator.post(f"/staff/comments/{comment_id}/approve", {"revision": seen}, htmx=True)
    assert first.status_code == 200
    second = admin.post(
        f"/staff/comments/{comment_id}/reject", {"revision": seen, "reason": "x"}, htmx=True
    )
    assert second.status_code == 409
    body = second.get_data(as_text=True)
    assert "Уже обработан: одобрен (mod," in body
    assert f'id="comment-{comment_id}"' in body  # the row, as it is now
    assert comment_state(app, comment_id)[0] == CommentStatus.APPROVED
    assert thread_count(app) == approved_count(app) == 1
    assert len(audit_rows(app, "comment.approve")) == 1
    assert audit_rows(app, "comment.reject") == []
    # Without JavaScript: a redirect and the same message on the next page.
    plain = admin.post(f"/staff/comments/{comment_id}/reject", {"revision": seen})
    assert plain.status_code == 303
    assert "Уже обработан: одобрен" in admin.get("/staff/queue").get_data(as_text=True)


@pytest.mark.parametrize("actions", [("approve", "approve"), ("approve", "reject")])
def test_two_threads_at_once_one_result(app: Flask, monkeypatch, actions) -> None:
    """Both requests pass the revision check before either writes: the database decides."""
    for name in ("mod1", "mod2"):
        make_staff(app, name, Role.MODERATOR)
    clients = [StaffClient(app.test_client()) for _ in range(2)]
    for name, staff in zip(("mod1", "mod2"), clients, strict=True):
        assert staff.login(name).status_code == 303
    comment_id = make_comment(app, status=CommentStatus.REVIEW)
    seen = comment_state(app, comment_id)[1]

    both_checked = threading.Barrier(2, timeout=20)
    real_change_status = moderation.change_status

    def change_status_after_both_checked(*args, **kwargs):
        both_checked.wait()
        return real_change_status(*args, **kwargs)

    monkeypatch.setattr(moderation, "change_status", change_status_after_both_checked)
    replies = [None, None]

    def run(i: int) -> None:
        url = f"/staff/comments/{comment_id}/{actions[i]}"
        replies[i] = clients[i].post(url, {"revision": seen, "reason": "r"}, htmx=True)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    statuses = sorted(reply.status_code for reply in replies)
    assert statuses == [200, 409], statuses
    loser = next(reply for reply in replies if reply.status_code == 409)
    assert "Уже обработан" in loser.get_data(as_text=True)
    decided = [row for row in audit_rows(app) if row.action.startswith("comment.")]
    assert len(decided) == 1
    status = comment_state(app, comment_id)[0]
    assert status == ("approved" if decided[0].action == "comment.approve" else "rejected")
    assert thread_count(app) == approved_count(app)
