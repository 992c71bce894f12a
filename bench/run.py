"""Benchmark the poll widget under gunicorn against a bare Flask route on the same settings.

Run from the repository root::

    .venv/bin/python bench/run.py [--db sqlite|postgresql] [--duration 10] [--runs 3]

It starts, for one database, a fresh schema with the demo data, a real RQ worker
(``python worker.py``), the app under gunicorn (``harness.GUNICORN``: 4 threaded workers
with keep-alive, as ``deploy/gunicorn.conf.py``) and ``bench/bare_app.py``
under the same settings; then, in every run, drives each endpoint with
``wrk -t2 -c32 --latency`` (bare ``/hello``, widget page, unchanged-results 204 poll,
vote POST from new voters). After the runs a fixed-count phase sends exactly
``--exact-votes`` votes from a Python client and checks ballots == 200s == snapshot delta.
Everything started is stopped by PID, and the database and Redis keys are removed, also
on failure (see harness.py).
"""

from __future__ import annotations

import argparse
import concurrent.futures
import http.client
import json
import re
import secrets
import time
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

from harness import (
    BENCH,
    WRK_CONNECTIONS,
    WRK_THREADS,
    BenchError,
    Meter,
    Report,
    Workspace,
    bench_main,
    check_common_args,
    common_args,
    endpoint_row,
    finish,
    footer,
    notes,
    row_cells,
    sql_scalar,
    wait_drained,
)
from itsdangerous import Signer

POLL_ID = 1
SEEDED_BALLOTS = 1492

# Targets from the issue: (minimum ratio to the bare route, maximum p99 in ms or None).
TARGETS: dict[str, tuple[float, float | None]] = {
    "widget": (0.70, None),
    "results_204": (0.85, None),
    "vote": (0.35, 25.0),
}
ENDPOINTS = ("bare", "widget", "results_204", "vote")
LABELS = {
    "bare": "bare Flask `GET /hello`",
    "widget": "widget `GET /w/poll/1`",
    "results_204": "unchanged results `GET /w/poll/1/results?v=<cur>` (HX)",
    "vote": "vote `POST /w/poll/1/vote` (HX, new voter each)",
}


def count_ballots(db_url: str, poll_id: int = POLL_ID) -> int:
    """Ballot rows of ``poll_id``, read directly from the database (not through the app)."""
    return int(sql_scalar(db_url, f"SELECT count(*) FROM ballots WHERE poll_id = {int(poll_id)}"))


# ---------------------------------------------------------------- app helpers


def api_results(port: int) -> dict[str, Any]:
    """The JSON results snapshot of the bench poll."""
    url = f"http://127.0.0.1:{port}/api/polls/{POLL_ID}/results"
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.loads(response.read())


def vote_token(port: int) -> str:
    """A signed vote token, scraped from the widget page (valid for every request)."""
    url = f"http://127.0.0.1:{port}/w/poll/{POLL_ID}"
    with urllib.request.urlopen(url, timeout=10) as response:
        page = response.read().decode()
    match = re.search(r'name="token" value="([^"]+)"', page)
    if not match:
        raise BenchError("no vote token in the widget page")
    return match.group(1)


def results_status(port: int, version: int) -> int:
    """Status of one htmx results poll with ``version`` (204 when it is current)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request(
            "GET", f"/w/poll/{POLL_ID}/results?v={version}", headers={"HX-Request": "true"}
        )
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


def current_version(port: int, timeout: float = 30) -> int:
    """The snapshot version, once the widget answers 204 for it (Redis caught up)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        version = int(api_results(port)["version"])
        if results_status(port, version) == 204:
            return version
        time.sleep(0.2)
    raise BenchError("the results poll never answered 204 for the current version")


def make_cookies(secret: str, count: int) -> list[str]:
    """``count`` signed voter-cookie values, as the app's ``ensure_voter_cookie`` makes them."""
    signer = Signer(secret, salt="voter-cookie")
    return [signer.sign(secrets.token_urlsafe(12)).decode() for _ in range(count)]


def post_vote(port: int, cookie: str, token: str, option: int) -> int:
    """POST one htmx vote as the voter ``cookie``; the status, or 0 on a network error."""
    body = f"token={quote(token)}&option={option}"
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "HX-Request": "true",
        "Cookie": f"pv={cookie}",
    }
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("POST", f"/w/poll/{POLL_ID}/vote", body=body, headers=headers)
        response = conn.getresponse()
        response.read()
        return response.status
    except OSError:
        return 0
    finally:
        conn.close()


# ---------------------------------------------------------------- the benchmark


@dataclass
class Stack:
    """The running processes and what the phases need to reach them."""

    ws: Workspace
    meter: Meter
    app_port: int
    bare_port: int
    cookie_file: Path
    cookies_per_block: int
    token: str = ""
    option_ids: list[int] = field(default_factory=list)

    def drained(self) -> float:
        """Wait for the RQ queue and the pending recount to finish; seconds waited."""
        pending = f"{self.ws.prefix}recompute-pending:{POLL_ID}"
        return wait_drained(self.ws.redis, self.ws.queue, (pending,))


def measure_run(stack: Stack, report: Report, run: int, duration: int, record: bool) -> None:
    """One pass over the four endpoints (run 0 is the unrecorded warm-up)."""
    app = f"http://127.0.0.1:{stack.app_port}"
    wrk = stack.meter.wrk
    wrk("bare", run, f"http://127.0.0.1:{stack.bare_port}/hello", duration, record=record)
    wrk("widget", run, f"{app}/w/poll/{POLL_ID}", duration, record=record)
    stack.drained()
    version = current_version(stack.app_port)
    wrk(
        "results_204",
        run,
        f"{app}/w/poll/{POLL_ID}/results?v={version}",
        duration,
        args=["HX-Request: true"],
        record=record,
    )
    before = count_ballots(stack.ws.db_url)
    raw = wrk(
        "vote",
        run,
        f"{app}/w/poll/{POLL_ID}/vote",
        duration,
        script=BENCH / "vote.lua",
        args=[
            str(stack.cookie_file),
            str(run * stack.cookies_per_block),
            str(stack.cookies_per_block // WRK_THREADS),
            quote(stack.token),
            ",".join(str(o) for o in stack.option_ids),
        ],
        record=record,
    )
    drain_s = stack.drained()
    after = count_ballots(stack.ws.db_url)
    snapshot = api_results(stack.app_port)
    if record:
        report.vote_runs.append(
            {
                "run": run,
                "wrk_200": raw["statuses"].get("200", 0),
                "db_delta": after - before,
                "in_flight_gap": after - before - raw["statuses"].get("200", 0),
                "db_ballots": after,
                "snapshot_voters": snapshot["voters"],
                "snapshot_matches_db": snapshot["voters"] == after,
                "drain_s": round(drain_s, 2),
            }
        )


def exact_phase(stack: Stack, votes: int, threads: int) -> dict[str, Any]:
    """Send exactly ``votes`` votes from new voters; compare 200s, ballot rows and snapshot."""
    stack.drained()
    snap0 = api_results(stack.app_port)
    db0 = count_ballots(stack.ws.db_url)
    cookies = make_cookies(stack.ws.secret, votes)
    options = stack.option_ids
    start = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(max_workers=threads) as pool:
        statuses = Counter(
            pool.map(
                lambda i: post_vote(
                    stack.app_port, cookies[i], stack.token, options[i % len(options)]
                ),
                range(votes),
            )
        )
    elapsed = time.monotonic() - start
    drain_s = stack.drained()
    snap1 = api_results(stack.app_port)
    db1 = count_ballots(stack.ws.db_url)
    ok = statuses.get(200, 0)
    result = {
        "votes_sent": votes,
        "threads": threads,
        "elapsed_s": round(elapsed, 2),
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "ok_200": ok,
        "db_delta": db1 - db0,
        "snapshot_total_delta": snap1["total"] - snap0["total"],
        "snapshot_voters_delta": snap1["voters"] - snap0["voters"],
        "snapshot_voters_eq_db": snap1["voters"] == db1,
        "db_ballots_minus_seed": db1 - SEEDED_BALLOTS,
        "drain_s": round(drain_s, 2),
    }
    result["exact"] = (
        ok == votes
        and result["db_delta"] == ok
        and result["snapshot_total_delta"] == ok
        and result["snapshot_voters_delta"] == ok
        and result["snapshot_voters_eq_db"]
    )
    return result


def run_benchmark(args: argparse.Namespace, report: Report) -> None:
    """Set everything up, measure, and tear everything down (also on failure)."""
    limits = {
        "VOTE_LIMIT_IP_POLL": "100000000/600",
        "VOTE_LIMIT_IP": "100000000/600",
        "VOTE_LIMIT_NET_POLL": "100000000/600",
    }
    with Workspace(args.db, limits).opened(args.pg_admin_url) as ws:
        ws.flask("seed-demo")
        ws.worker()
        app_port = ws.gunicorn("app", "wsgi:app")
        bare_port = ws.gunicorn("bare", "bare_app:app", cwd=BENCH)
        ws.wait(f"http://127.0.0.1:{bare_port}/hello")
        ws.wait(f"http://127.0.0.1:{app_port}/api/polls/{POLL_ID}/results")
        pending = f"{ws.prefix}recompute-pending:{POLL_ID}"
        wait_drained(ws.redis, ws.queue, (pending,))
        ws.note_rq_names()

        blocks = args.runs + 1  # run 0 is the warm-up
        per_block = args.voters // blocks
        cookie_file = ws.tmpdir / "cookies.txt"
        t0 = time.monotonic()
        cookie_file.write_text("\n".join(make_cookies(ws.secret, per_block * blocks)) + "\n")
        print(f"[bench] {per_block * blocks} cookies in {time.monotonic() - t0:.1f} s", flush=True)
        snapshot = api_results(app_port)
        stack = Stack(
            ws=ws,
            meter=Meter(report, ws.groups, args.max_other_cpu, args.quiet_timeout),
            app_port=app_port,
            bare_port=bare_port,
            cookie_file=cookie_file,
            cookies_per_block=per_block,
            token=vote_token(app_port),
            option_ids=[o["id"] for o in snapshot["options"]],
        )
        if count_ballots(ws.db_url) != SEEDED_BALLOTS:
            raise BenchError("the seeded poll does not have 1492 ballots")
        for run in range(args.runs + 1):
            label = "warm-up" if run == 0 else f"run {run}/{args.runs}"
            print(f"[bench] {label}", flush=True)
            duration = min(args.warmup, args.duration) if run == 0 else args.duration
            measure_run(stack, report, run, duration, record=run > 0)
        print("[bench] fixed-count exactness phase", flush=True)
        report.exact = exact_phase(stack, args.exact_votes, args.exact_threads)
        failed = ws.redis.zcard(f"rq:failed:{ws.queue}")
        report.notes.append(f"RQ failed-job registry at the end: {failed} job(s)")
        ws.stop_all()
        finish(report)


# ---------------------------------------------------------------- reporting


def summarize(report: Report) -> list[dict[str, Any]]:
    """Per endpoint: median req/s, spread, median ratio to the same run's bare route, latency."""
    rows = []
    for endpoint in ENDPOINTS:
        row = endpoint_row(report, endpoint, "bare" if endpoint == "bare" else "app")
        if row is None:
            continue
        if endpoint in TARGETS:
            min_ratio, max_p99 = TARGETS[endpoint]
            met = row["ratio"] >= min_ratio and (max_p99 is None or row["p99"] < max_p99)
            goal = f">= {min_ratio:.2f}x" + (f", p99 < {max_p99:.0f} ms" if max_p99 else "")
            row["target"] = goal
            row["met"] = met
        rows.append(row)
    return rows


def markdown(report: Report) -> str:
    """The report as Markdown tables (what RESULTS.md quotes)."""
    out = [
        f"### {report.db} — {report.started}",
        "",
        f"`{report.command}` — {report.runs} run(s) x {report.duration} s per endpoint, "
        f"wrk -t{WRK_THREADS} -c{WRK_CONNECTIONS}; {report.machine}",
        "",
        "| endpoint | median req/s (min..max) | ratio to bare (per run) | p50 ms | p99 ms "
        "(worst run) | statuses (all runs) | target | met "
        "| CPU %: gunicorn / RQ / redis / PG / wrk / other | server CPU ms/req |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in summarize(report):
        c = row_cells(row)
        met = "" if "met" not in row else ("yes" if row["met"] else "**no**")
        out.append(
            f"| {LABELS[row['endpoint']]} | {c['rps']} | {c['ratio']} | {c['latency']} | "
            f"{c['statuses']} | {row.get('target', 'reference')} | {met} | {c['cpu']} | "
            f"{c['cpu_ms']} |"
        )
    out += footer(report)
    if report.vote_runs:
        out += [
            "| vote run | wrk 200s | ballot rows added | gap (in flight at stop) | "
            "snapshot voters == DB after drain | drain s |",
            "|---|---|---|---|---|---|",
        ]
        for v in report.vote_runs:
            out.append(
                f"| {v['run']} | {v['wrk_200']} | {v['db_delta']} | {v['in_flight_gap']} | "
                f"{'yes' if v['snapshot_matches_db'] else '**no**'} | {v['drain_s']} |"
            )
        out.append("")
    if report.exact:
        out.append(exact_line(report.exact, "Fixed-count phase"))
    out += notes(report)
    return "\n".join(out) + "\n"


def exact_line(e: dict[str, Any], label: str) -> str:
    """The report's sentence on the fixed-count phase ``e`` (see exact_phase)."""
    return (
        f"{label}: {e['votes_sent']} votes from distinct voters over "
        f"{e['threads']} threads in {e['elapsed_s']} s -> statuses {e['statuses']}; "
        f"ballot rows +{e['db_delta']}; snapshot total +{e['snapshot_total_delta']}, "
        f"voters +{e['snapshot_voters_delta']} (after {e['drain_s']} s drain); "
        f"**{'EXACT' if e['exact'] else 'NOT EXACT'}**."
    )


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    common_args(parser)
    parser.add_argument("--voters", type=int, default=400_000, help="signed cookies to make")
    parser.add_argument("--exact-votes", type=int, default=2000)
    parser.add_argument("--exact-threads", type=int, default=16)
    args = parser.parse_args(argv)
    check_common_args(parser, args)
    return args


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark for one database and print the Markdown report."""
    args = parse_args(argv)
    return bench_main("run.py", args, argv, run_benchmark, summarize, markdown)


if __name__ == "__main__":
    raise SystemExit(main())
