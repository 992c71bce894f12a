"""Flask commands: init-db and seed-demo (safe to run twice)."""

from __future__ import annotations

import sqlalchemy as sa

from polls_site.core.db import db
from polls_site.models import Ballot, Poll


def test_init_db(runner) -> None:
    result = runner.invoke(args=["init-db"])
    assert result.exit_code == 0
    assert "database ready" in result.output


def test_seed_demo_loads_the_portal_poll_once(app, runner, client) -> None:
    first = runner.invoke(args=["seed-demo"])
    second = runner.invoke(args=["seed-demo"])
    assert first.exit_code == 0 and "3 polls created" in first.output
    assert second.exit_code == 0 and "0 polls created" in second.output
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Poll)) == 3
        portal = db.session.scalar(
            sa.select(Poll).where(Poll.question.startswith("Как вы относитесь к вступлению"))
        )
        ballots = db.session.scalar(
            sa.select(sa.func.count()).select_from(Ballot).where(Ballot.poll_id == portal.id)
        )
        assert ballots == 1492
    results = client.get(f"/api/polls/{portal.id}/results").get_json()
    assert results["total"] == 1492 and results["voters"] == 1492
    assert [o["percent"] for o in results["options"]] == [31, 23, 13, 12, 12, 9]
    assert results["options"][1]["text"] == "Мне это безразлично"
    assert results["version"] >= 1 and results["computed_at"]
    listing = client.get("/api/polls").get_json()
    assert {p["status"] for p in listing} == {"open", "closed"}
    assert [p["total"] for p in listing if p["id"] == portal.id] == [1492]
    assert set(listing[0]) == {"id", "question", "status", "total", "results_public"}
    page = client.get(f"/w/poll/{portal.id}?view=results").get_data(as_text=True)
    assert "Всего голосов: 1492" in page and "31%" in page
