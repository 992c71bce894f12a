"""Results for editors: analytics with charts and anomaly flags, voiding ballots, CSV exports."""

from __future__ import annotations

from datetime import datetime

from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import force_locale, format_datetime, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ...core.converters import parse_id
from ...core.db import db
from ...models import Poll, ResultSnapshot, Role, utcnow
from ...polls.analytics import (
    FLAGS,
    bucket_start,
    flag_ballots,
    option_trends,
    votes_over_time,
)
from ...polls.exports import RFC4180, CsvFormat, ballots_csv, excel_ru, results_csv
from ...polls.lifecycle import poll_changed
from ...polls.voiding import void_ballots
from .. import audit
from ..auth import staff_required
from ..blueprint import bp
from .charts import Series, chart_table, legend_key, line_chart
from .forms import VoidForm, site_zone
from .store import ballot_changes, ballot_facts, ballot_rows


def flag_label(flag: str) -> str:
    """The translated name of an anomaly flag."""
    labels = {
        "network_burst": _("Bursts from one network"),
        "no_cookie": _("Many votes without a cookie from one network"),
        "too_fast": _("Faster than a person could read the question"),
    }
    return labels[flag]


def _partial_note(poll: Poll, buckets: list[datetime], unit: str) -> str:
    """The chart's note for its last period when voting goes on within it, else ""."""
    now = utcnow()
    if not buckets or poll.voting_state(now) != "open" or buckets[-1] != bucket_start(now, unit):
        return ""
    return _("hour not over yet") if unit == "hour" else _("day not over yet")


def _poll_or_404(poll_id: int) -> Poll:
    poll = db.session.get(Poll, poll_id)
    if poll is None:
        abort(404)
    return poll


@bp.get("/polls/<int:poll_id>/analytics")
@staff_required(Role.EDITOR)
def poll_analytics(poll_id: int) -> str:
    """Counts and shares, votes over time, per-option trends and anomaly flags."""
    poll = _poll_or_404(poll_id)
    unit = request.args.get("unit", "hour")
    if unit not in ("hour", "day"):
        unit = "hour"
    facts = ballot_facts(poll_id)
    counted = [f for f in facts if not f.voided]
    label_format = "d MMM HH:mm" if unit == "hour" else "d MMM y"
    series = votes_over_time([f.created_at for f in counted], unit)
    labels = [format_datetime(start, label_format) for start, _count in series]
    votes = [Series(_("Votes"), [c for _s, c in series])]
    partial = _partial_note(poll, [start for start, _count in series], unit)
    votes_chart = line_chart(labels, votes, title=_("Votes over time"), partial=partial)
    period = _("Hour") if unit == "hour" else _("Day")
    votes_table = chart_table(
        labels, votes, caption=_("Votes over time"), period=period, partial=partial
    )
    visible = [o for o in poll.options if not o.hidden]
    counted_ids = {f.id for f in counted}
    changes = [c for c in ballot_changes(poll_id) if c.ballot_id in counted_ids]
    buckets, trends = option_trends(counted, [o.id for o in visible], unit, changes)
    trend_labels = [format_datetime(b, label_format) for b in buckets]
    shares = [Series(o.text, trends[o.id]) for o in visible]
    trend_partial = _partial_note(poll, buckets, unit)
    trend_title = _("Share of each option over time")
    trend_chart = line_chart(
        trend_labels, shares, title=trend_title, unit="%", partial=trend_partial
    )
    trend_table = chart_table(
        trend_labels, shares, caption=trend_title, period=period, unit="%", partial=trend_partial
    )
    flags = flag_ballots(counted)
    flagged = sorted({i for ids in flags.values() for i in ids})
    by_id = {f.id: f for f in counted}
    return render_template(
        "staff/polls/analytics.html",
        poll=poll,
        unit=unit,
        snapshot=db.session.get(ResultSnapshot, poll_id),
        texts={o.id: o.text for o in poll.options},
        votes_chart=votes_chart,
        votes_table=votes_table,
        votes_partial=partial,
        trend_chart=trend_chart,
        trend_table=trend_table,
        trend_partial=trend_partial,
        legend=[(o.text, legend_key(number)) for number, o in enumerate(visible)],
        flags=flags,
        flag_order=FLAGS,
        flag_label=flag_label,
        flagged=[by_id[i] for i in flagged[:500]],
        flagged_total=len(flagged),
        voided_total=len(facts) - len(counted),
        # The audit trail of vote changes, newest first (the ballot, never the reader).
        changes=changes[::-1][:500],
        changes_total=len(changes),
        void_form=VoidForm(),
    )


@bp.post("/polls/<int:poll_id>/void")
@staff_required(Role.EDITOR)
def void(poll_id: int) -> Response:
    """Void the ballots under a flag or picked by id, with a reason; the worker recounts."""
    poll = _poll_or_404(poll_id)
    form = VoidForm()
    back = redirect(url_for("staff.poll_analytics", poll_id=poll.id), code=303)
    if not form.validate():
        flash(form.reason.errors[0], "error")
        return back
    ids: set[int] = set()
    flag = request.form.get("flag")
    if flag:
        if flag not in FLAGS:
            abort(400)
        ids = flag_ballots([f for f in ballot_facts(poll_id) if not f.voided])[flag]
    for raw in request.form.getlist("ballot"):
        ballot_id = parse_id(raw)
        if ballot_id:
            ids.add(ballot_id)
    if not ids:
        flash(_("Choose the ballots to void."), "error")
        return back
    voided = void_ballots(poll.id, ids, form.reason.data)
    if voided:
        audit.record(
            "ballots.void",
            "poll",
            poll.id,
            None,
            {"ballots": voided, "flag": flag or None},
            form.reason.data.strip(),
        )
    db.session.commit()
    poll_changed(poll.id)
    flash(
        ngettext("%(num)d ballot voided.", "%(num)d ballots voided.", len(voided)),
        "success",
    )
    return back


# The exports' column headers in the staff's language (issue 16); the columns and their
# order are the export format's (polls/exports.py), not the language's.
CSV_LABELS = {
    "option_id": _l("option id"),
    "option": _l("option"),
    "votes": _l("votes"),
    "percent": _l("percent"),
    "ballot_id": _l("ballot id"),
    "created_at": _l("cast at"),
    "voter": _l("voter (pseudonym)"),
    "has_cookie": _l("has a cookie"),
    "ip_hash": _l("IP hash"),
    "network_hash": _l("network hash"),
    "read_seconds": _l("seconds reading"),
    "option_ids": _l("option ids"),
    "options": _l("options"),
    "voided_at": _l("voided at"),
    "void_reason": _l("void reason"),
}


def csv_labels() -> dict[str, str]:
    """The CSV header labels in the current locale."""
    return {column: str(label) for column, label in CSV_LABELS.items()}


def _csv_response(body, filename: str) -> Response:
    response = Response(body, mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _excel_ru() -> tuple[CsvFormat, dict[str, str]]:
    # The file for Russian Excel speaks Russian whatever the editor's own language.
    with force_locale("ru"):
        return excel_ru(site_zone()), csv_labels()


def _results(poll_id: int, form: CsvFormat, labels: dict[str, str], name: str) -> Response:
    poll = _poll_or_404(poll_id)
    snapshot = db.session.get(ResultSnapshot, poll_id)
    texts = {o.id: o.text for o in poll.options}
    too_few = snapshot is None or snapshot.voters < poll.min_sample
    rows = [
        (
            r["option_id"],
            texts.get(r["option_id"], ""),
            r["votes"],
            None if too_few else r["percent"],
        )
        for r in (snapshot.rows if snapshot else [])
    ]
    audit.record("poll.export", "poll", poll.id, None, {"file": name})
    db.session.commit()
    return _csv_response(results_csv(rows, labels, form), f"poll-{poll.id}-{name}.csv")


def _ballots(poll_id: int, form: CsvFormat, labels: dict[str, str], name: str) -> Response:
    poll = _poll_or_404(poll_id)
    texts = {o.id: o.text for o in poll.options}
    audit.record("poll.export", "poll", poll.id, None, {"file": name})
    db.session.commit()
    secret = current_app.config["SECRET_KEY"]
    body = ballots_csv(ballot_rows(poll.id), texts, secret, labels, form)
    return _csv_response("".join(body), f"poll-{poll.id}-{name}.csv")


@bp.get("/polls/<int:poll_id>/results.csv")
@staff_required(Role.EDITOR)
def export_results(poll_id: int) -> Response:
    """The latest counted results as CSV (percent empty below the minimum sample)."""
    return _results(poll_id, RFC4180, csv_labels(), "results")


@bp.get("/polls/<int:poll_id>/results-excel.csv")
@staff_required(Role.EDITOR)
def export_results_excel(poll_id: int) -> Response:
    """The same results for Russian Excel: «;», Russian headers."""
    return _results(poll_id, *_excel_ru(), "results-excel")


@bp.get("/polls/<int:poll_id>/ballots.csv")
@staff_required(Role.EDITOR)
def export_ballots(poll_id: int) -> Response:
    """Every ballot as CSV: hashes only, never an IP address; voided ones marked."""
    return _ballots(poll_id, RFC4180, csv_labels(), "ballots")


@bp.get("/polls/<int:poll_id>/ballots-excel.csv")
@staff_required(Role.EDITOR)
def export_ballots_excel(poll_id: int) -> Response:
    """The same ballots for Russian Excel: «;», Russian headers, local times, decimal commas."""
    return _ballots(poll_id, *_excel_ru(), "ballots-excel")
