"""Reader addresses in the privacy export and erasure (docs/privacy.md)."""

from __future__ import annotations

import json

import sqlalchemy as sa

from polls_site.core.db import db
from polls_site.models import ReplySubscription
from tests.support.comments import get_comment

from .test_replies import STORED, subscribe_with_comment


def test_export_gives_the_address_back_and_erasure_deletes_it(app, reader, admin) -> None:
    comment_id = subscribe_with_comment(app, reader)
    voter_key = get_comment(app, comment_id).voter_key
    exported = json.loads(
        admin.post("/staff/privacy/export", {"voter_key": voter_key}).get_data(as_text=True)
    )
    [subscription] = exported["reply_subscriptions"]
    assert subscription["email"] == STORED and subscription["comment_id"] == comment_id
    # The staff page that finds their comments never shows the address.
    page = admin.get(f"/staff/privacy?voter_key={voter_key}").get_data(as_text=True)
    assert STORED not in page.lower()
    erased = admin.post("/staff/privacy/erase", {"voter_key": voter_key, "confirm": "yes"})
    assert erased.status_code == 303
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(ReplySubscription)) == 0
