"""Benchmark the widgets through the shipped nginx config (issue 18), beside the bare route.

Run from the repository root::

    .venv/bin/python bench/edge.py [--db sqlite|postgresql] [--duration 10] [--runs 3]

For one database it seeds the demo polls and a ``--count`` comment thread, starts a real RQ
worker, the app and ``bench/bare_app.py`` under ``harness.GUNICORN`` and, in front of the
app, Debian's nginx with ``deploy/nginx/`` as shipped, rendered for local ports and paths by
``tests/support/edge.py`` (the same code the live edge tests use). Each run drives with
``wrk -t2 -c32 --latency``: the bare route directly (the ratio base), nginx serving a
static file (the machine's ceiling), and through nginx: the poll widget page for a new
reader, the results partial by version, the 204 "unchanged" poll, the counts API,
embed.js, an archive page, a comment thread page for a new reader, and votes from new
voters. For every run it also counts the requests that reached Python, per endpoint,
from the app's Prometheus counter ``polls_http_requests_total`` (scraped from gunicorn
directly before and after). After the runs, a fixed-count phase sends ``--exact-votes``
votes through nginx and checks 2xx == ballot rows == snapshot delta.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
import urllib.error
import urllib.request
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from comment_data import extra_keys
from harness import (
    BENCH,
    ROOT,
    WRK_CONNECTIONS,
    WRK_THREADS,
    Meter,
    Report,
    Workspace,
    bench_main,
    check_common_args,
    common_args,
    endpoint_row,
    finish,
    footer,
    median,
    notes,
    row_cells,
)
from run import (
    POLL_ID,
    Stack,
    api_results,
    count_ballots,
    current_version,
    exact_line,
    exact_phase,
    make_cookies,
    vote_token,
)

sys.path.insert(0, str(ROOT))
from tests.support.edge import BROTLI_MODULE, Edge, start_edge  # noqa: E402

THREAD_KEY = "news/2026/11/25/bishkek-astana-dialog"
TARGET_CACHED = 5.0
# Endpoint -> (label, the app endpoint(s) it reaches in Python, or None for no Python at all).
ENDPOINTS: dict[str, tuple[str, tuple[str, ...] | None]] = {
    "bare": ("bare Flask `GET /hello`, direct (ratio base)", None),
    "static": ("nginx static `GET /static/widget.css?v=..` (machine ceiling)", None),
    "widget": ("widget page `GET /w/poll/1` (new reader)", ("polls.show",)),
    "results": ("results by version `GET /w/poll/1/results?v=<old>` (HX)", ("polls.results",)),
    "results_204": ("unchanged `GET /w/poll/1/results?v=<cur>` (HX, 204)", ("polls.results",)),
    "counts": ("counts API `GET /api/comments/count` (20 keys)", ("api.comment_count",)),
    "embed": ("`GET /embed.js`", None),
    "archive": ("archive page `GET /polls/`", ("archive.index",)),
    "thread": ("comment thread `GET /w/comments/<key>` (new reader)", ("comments.show",)),
    "vote": ("vote `POST /w/poll/1/vote` (HX, new voter each)", ("polls.vote",)),
}
CACHED_READS = ("widget", "results", "results_204", "counts", "embed", "archive", "thread")
LIMITS = {
    "VOTE_LIMIT_IP_POLL": "100000000/600",
    "VOTE_LIMIT_IP": "100000000/600",
    "VOTE_LIMIT_NET_POLL": "100000000/600",
    # One proxy in front, as deploy/nginx/polls-site.conf documents.
    "TRUSTED_PROXY_COUNT": "1",
    "WORKER_METRICS_BIND": "off",
}
METRIC_RE = re.compile(r'^polls_http_requests_total\{endpoint="([^"]*)",status="(\d+)"\} (\S+)$')


def settle_votes(app_port: int, timeout: float = 10.0) -> None:
    """Return once the app's count of answered votes has stopped growing (or after
    ``timeout``): the requests in flight at wrk's stop are then stored or refused."""
    deadline = time.monotonic() + timeout
    last = python_hits(app_port)["polls.vote"]
    while time.monotonic() < deadline:
        time.sleep(0.3)
        now = python_hits(app_port)["polls.vote"]
        if now == last:
            return
        last = now


def python_hits(app_port: int) -> Counter[str]:
    """Requests the app has counted so far, by Flask endpoint (all statuses, all workers)."""
    with urllib.request.urlopen(f"http://127.0.0.1:{app_port}/metrics", timeout=10) as reply:
        text = reply.read().decode()
    hits: Counter[str] = Counter()
    for line in text.splitlines():
        match = METRIC_RE.match(line)
        if match:
            hits[match.group(1)] += int(float(match.group(3)))
    return hits


def head(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    """Status, headers and body of one GET."""
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as reply:
            return reply.status, dict(reply.headers), reply.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def static_url(edge_url: str) -> str:
    """The fingerprinted widget.css URL as the widget page names it (else the bare path)."""
    _s, _h, page = head(f"{edge_url}/w/poll/{POLL_ID}")
    match = re.search(r'href="(/static/widget\.css[^"]*)"', page.decode())
    return edge_url + (match.group(1).replace("&amp;", "&") if match else "/static/widget.css")


def run_benchmark(args: argparse.Namespace, report: Report) -> None:
    """Set everything up, measure, and tear everything down (also on failure)."""
    env = dict(LIMITS)
    with Workspace(args.db, env).opened(args.pg_admin_url) as ws:
        ws.env["PROMETHEUS_MULTIPROC_DIR"] = str(ws.tmpdir / "prometheus")
        (ws.tmpdir / "prometheus").mkdir()
        ws.flask("seed-demo")
        keys = extra_keys(19)
        ws.python(
            sys.executable,
            str(BENCH / "comment_data.py"),
            *("--key", THREAD_KEY, "--count", str(args.count), "--extra-threads", "19"),
        )
        ws.worker()
        app_port = ws.gunicorn("app", "wsgi:app")
        bare_port = ws.gunicorn("bare", "bare_app:app", cwd=BENCH)
        ws.wait(f"http://127.0.0.1:{bare_port}/hello")
        ws.wait(f"http://127.0.0.1:{app_port}/api/polls/{POLL_ID}/results", timeout=90)
        edge: Edge = start_edge(app_port, ws.tmpdir / "nginx", ROOT / "static")
        try:
            measure(args, report, ws, app_port, bare_port, edge, keys)
        finally:
            edge.stop()
        ws.stop_all()
        finish(report)


def measure(
    args: argparse.Namespace,
    report: Report,
    ws: Workspace,
    app_port: int,
    bare_port: int,
    edge: Edge,
    keys: list[str],
) -> None:
    """The warm-up and the recorded runs, then the fixed-count vote phase, through nginx."""
    assert edge.process is not None
    ws.note_rq_names()
    groups = ws.groups | {"nginx": edge.process.pid}
    meter = Meter(report, groups, args.max_other_cpu, args.quiet_timeout)
    site = edge.url("")
    blocks = args.runs + 1
    per_block = args.voters // blocks
    cookie_file = ws.tmpdir / "cookies.txt"
    cookie_file.write_text("\n".join(make_cookies(ws.secret, per_block * blocks)) + "\n")
    stack = Stack(
        ws=ws,
        meter=meter,
        app_port=edge.port,  # run.exact_phase votes and reads through nginx
        bare_port=bare_port,
        cookie_file=cookie_file,
        cookies_per_block=per_block,
        token=vote_token(edge.port),
        option_ids=[o["id"] for o in api_results(app_port)["options"]],
    )
    counts_url = f"{site}/api/comments/count?" + urlencode(
        [("key", k) for k in [THREAD_KEY, *keys]]
    )
    static = static_url(site)
    report.extra["static_url"] = static.removeprefix(site)
    report.extra["brotli"] = BROTLI_MODULE.exists()
    report.extra["headers"] = {}
    hits_log: dict[str, list[float]] = {}
    report.extra["python_hits_per_s"] = hits_log
    for run in range(args.runs + 1):
        print("[bench] warm-up" if run == 0 else f"[bench] run {run}/{args.runs}", flush=True)
        duration = min(args.warmup, args.duration) if run == 0 else args.duration
        stack.drained()
        version = current_version(app_port)
        plan: list[tuple[str, str, list[str]]] = [
            ("bare", f"http://127.0.0.1:{bare_port}/hello", []),
            ("static", static, ["Accept-Encoding: gzip"]),
            ("widget", f"{site}/w/poll/{POLL_ID}", ["Accept-Encoding: gzip"]),
            (
                "results",
                f"{site}/w/poll/{POLL_ID}/results?v={max(version - 1, 0)}",
                ["HX-Request: true", "Accept-Encoding: gzip"],
            ),
            (
                "results_204",
                f"{site}/w/poll/{POLL_ID}/results?v={version}",
                ["HX-Request: true"],
            ),
            ("counts", counts_url, ["Accept-Encoding: gzip"]),
            ("embed", f"{site}/embed.js", ["Accept-Encoding: gzip"]),
            ("archive", f"{site}/polls/", ["Accept-Encoding: gzip"]),
            ("thread", f"{site}/w/comments/{THREAD_KEY}", ["Accept-Encoding: gzip"]),
        ]
        if run == 1:
            for endpoint, url, extra in plan:
                hdrs = dict(h.split(": ", 1) for h in extra)
                status, got, _body = head(url, hdrs)
                report.extra["headers"][endpoint] = {
                    "status": status,
                    **{
                        k: v
                        for k, v in got.items()
                        if k in ("X-Cache", "Cache-Control", "Content-Encoding", "Set-Cookie")
                    },
                }
        for endpoint, url, extra in plan:
            hits0 = python_hits(app_port)
            raw = meter.wrk(endpoint, run, url, duration, args=extra, record=run > 0)
            reached = python_hits(app_port) - hits0
            if run > 0:
                # Per second of the wrk run itself (the quiet wait before it sends nothing).
                served_by = ENDPOINTS[endpoint][1] or ()
                per_s = sum(reached[e] for e in served_by) / (raw["duration_us"] / 1e6)
                hits_log.setdefault(endpoint, []).append(round(per_s, 1))
        before = count_ballots(ws.db_url)
        hits0 = python_hits(app_port)
        raw = meter.wrk(
            "vote",
            run,
            f"{site}/w/poll/{POLL_ID}/vote",
            duration,
            script=BENCH / "vote.lua",
            args=[
                str(cookie_file),
                str(run * per_block),
                str(per_block // WRK_THREADS),
                quote(stack.token),
                ",".join(str(o) for o in stack.option_ids),
            ],
            record=run > 0,
        )
        # Votes still in flight when wrk stopped finish in the app after it (nginx gives up
        # on them, gunicorn does not): wait until they are all answered, then drain.
        settle_votes(app_port)
        drain_s = stack.drained()
        reached = python_hits(app_port) - hits0
        after = count_ballots(ws.db_url)
        snapshot = api_results(app_port)
        if run > 0:
            ok = sum(v for k, v in raw["statuses"].items() if k.startswith("2"))
            report.vote_runs.append(
                {
                    "run": run,
                    "wrk_2xx": ok,
                    "python_votes": reached["polls.vote"],
                    "db_delta": after - before,
                    "in_flight_gap": after - before - ok,
                    "snapshot_matches_db": snapshot["voters"] == after,
                    "drain_s": round(drain_s, 2),
                }
            )
    print("[bench] fixed-count exactness phase (through nginx)", flush=True)
    report.exact = exact_phase(stack, args.exact_votes, args.exact_threads)
    failed = ws.redis.zcard(f"rq:failed:{ws.queue}")
    report.notes.append(f"RQ failed-job registry at the end: {failed} job(s)")
    errors = [line for line in edge.log().splitlines() if "[error]" in line or "[crit]" in line]
    report.notes.append(f"nginx error log: {len(errors)} error line(s)")
    report.notes.extend(f"nginx: {line}" for line in errors[:5])


# ---------------------------------------------------------------- reporting


def summarize(report: Report) -> list[dict[str, Any]]:
    """Per endpoint: req/s, ratio to the bare route, latency, CPU, requests that reached Python."""
    rows = []
    hits = report.extra.get("python_hits_per_s", {})
    for endpoint in ENDPOINTS:
        server = "bare" if endpoint == "bare" else "app"
        row = endpoint_row(report, endpoint, server)
        if row is None:
            continue
        mine = [r for r in report.results if r.endpoint == endpoint]
        row["cpu_nginx"] = median([r.cpu_pct.get("nginx", float("nan")) for r in mine])
        row["python_per_s"] = median(hits.get(endpoint, []))
        if endpoint in CACHED_READS:
            row["target"] = f">= {TARGET_CACHED:.0f}x bare"
            row["met"] = row["ratio"] >= TARGET_CACHED
        rows.append(row)
    return rows


def markdown(report: Report) -> str:
    """The report as Markdown tables (what RESULTS.md quotes)."""
    out = [
        f"### edge, {report.db} — {report.started}",
        "",
        f"`{report.command}` — {report.runs} run(s) x {report.duration} s per endpoint, "
        f"wrk -t{WRK_THREADS} -c{WRK_CONNECTIONS}; {report.machine}; nginx 1.22 (Debian), "
        f"1 worker process, deploy/nginx/ as shipped (brotli module: "
        f"{'yes' if report.extra.get('brotli') else 'no'})",
        "",
        "| endpoint | median req/s (min..max) | ratio to bare (per run) | p50 ms | p99 ms "
        "(worst run) | statuses (all runs) | reached Python /s | target | met "
        "| CPU %: gunicorn / RQ / redis / PG / wrk / other | nginx CPU % | app CPU ms/req |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in summarize(report):
        c = row_cells(row)
        met = "" if "met" not in row else ("yes" if row["met"] else "**no**")
        py = row["python_per_s"]
        py_cell = "" if row["endpoint"] in ("bare",) else ("0" if py != py else f"{py:.1f}")
        out.append(
            f"| {ENDPOINTS[row['endpoint']][0]} | {c['rps']} | {c['ratio']} | {c['latency']} | "
            f"{c['statuses']} | {py_cell} | {row.get('target', '')} | {met} | {c['cpu']} | "
            f"{row['cpu_nginx']:.0f} | {c['cpu_ms']} |"
        )
    out += footer(report)
    out.append(
        "reached Python /s = requests the app counted in `polls_http_requests_total` (its "
        "Prometheus counter, scraped from gunicorn directly before and after each wrk run) "
        "for that route, per second of the run; 0 = nginx answered every request itself."
    )
    out.append("")
    heads = report.extra.get("headers", {})
    if heads:
        out.append("Response headers of one request per endpoint (run 1, before wrk): ")
        for endpoint, got in heads.items():
            out.append(f"- {endpoint}: {json.dumps(got, ensure_ascii=False)}")
        out.append("")
    if report.vote_runs:
        out += [
            "| vote run | wrk 2xx | reached Python | ballot rows added | gap (in flight at stop) "
            "| snapshot voters == DB after drain | drain s |",
            "|---|---|---|---|---|---|---|",
        ]
        for v in report.vote_runs:
            out.append(
                f"| {v['run']} | {v['wrk_2xx']} | {v['python_votes']} | {v['db_delta']} | "
                f"{v['in_flight_gap']} | {'yes' if v['snapshot_matches_db'] else '**no**'} | "
                f"{v['drain_s']} |"
            )
        out.append("")
    if report.exact:
        out.append(exact_line(report.exact, "Fixed-count phase through nginx"))
    out += notes(report)
    return "\n".join(out) + "\n"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    common_args(parser)
    parser.add_argument("--count", type=int, default=200, help="comments in the thread")
    parser.add_argument("--voters", type=int, default=400_000, help="signed cookies to make")
    parser.add_argument("--exact-votes", type=int, default=2000)
    parser.add_argument("--exact-threads", type=int, default=16)
    args = parser.parse_args(argv)
    check_common_args(parser, args)
    if not Path("/usr/sbin/nginx").exists():
        raise SystemExit("Debian's nginx (/usr/sbin/nginx) is not installed")
    return args


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark for one database and print the Markdown report."""
    args = parse_args(argv)
    return bench_main("edge.py", args, argv, run_benchmark, summarize, markdown)


if __name__ == "__main__":
    raise SystemExit(main())
