"""Benchmark the comment widget against a bare Flask route and Isso, on the same gunicorn settings.

Run from the repository root::

    .venv/bin/python bench/comments.py [--db sqlite|postgresql] [--duration 10] [--runs 3]

For one database it seeds a thread of ``--count`` (200) approved Russian comments (a third
of them replies, some with links) through the app's models and `render_comment_html`,
plus small threads for the counts API; it starts a real RQ worker, the app and
``bench/bare_app.py`` under gunicorn (``harness.GUNICORN``: 4 threaded workers), and
Isso (installed on first use into ``bench/.isso-venv``, never into the project's venv)
under the same gunicorn
settings, seeded with the same comments through its HTTP API. Each run drives, with
``wrk -t2 -c32 --latency``: bare ``/hello``; our thread page (what an iframe load costs);
the htmx new-comments poll (204, nothing new); the counts API for ``--keys`` threads;
Isso's ``GET /?uri=`` (the whole thread, as its client loads it, and its first 20 top-level
comments) and Isso's ``POST /count`` for the same threads. Everything is stopped and
removed afterwards (see harness.py).
"""

from __future__ import annotations

import argparse
import html
import http.client
import json
import re
import subprocess
import sys
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from comment_data import comments, extra_keys
from harness import (
    BENCH,
    GUNICORN,
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
    free_port,
    median,
    notes,
    ratios_to,
    row_cells,
)

THREAD_KEY = "news/2026/11/25/bishkek-astana-dialog"
ISSO_VENV = BENCH / ".isso-venv"
ISSO_PACKAGES = ("isso==0.14.0", "gunicorn")
ENDPOINTS = (
    "bare",
    "thread",
    "updates_204",
    "counts",
    "isso_thread",
    "isso_page",
    "isso_count",
)
LABELS = {
    "bare": "bare Flask `GET /hello`",
    "thread": "our thread page `GET /w/comments/<key>` (new reader, full page)",
    "updates_204": "our new-comments poll `GET .../-/updates?v=<cur>` (HX, 204)",
    "counts": "our counts `GET /api/comments/count?key=..` (N keys)",
    "isso_thread": "Isso `GET /?uri=<key>` (whole thread, as its client loads it)",
    "isso_page": "Isso `GET /?uri=<key>&limit=20` (20 top-level + their replies)",
    "isso_count": "Isso `POST /count` (N uris)",
}
SERVERS = {"bare": "bare", "isso_thread": "isso", "isso_page": "isso", "isso_count": "isso"}
# Our endpoint -> the Isso endpoint it is compared with.
PEERS = {"thread": "isso_thread", "counts": "isso_count"}
TARGET_ISSO = 10.0
TARGET_BARE = 0.3
# Isso takes seconds per whole-thread GET at 32 connections: wrk's 2 s limit would drop
# its slowest answers from the latency figures. The same limit applies to every endpoint.
REQUEST_TIMEOUT = 30


# ---------------------------------------------------------------- Isso


def ensure_isso(venv: Path) -> Path:
    """Isso and gunicorn in their own virtual environment (made on first use); its bin/."""
    gunicorn = venv / "bin" / "gunicorn"
    check = [str(venv / "bin" / "python"), "-c", "import isso, gunicorn"]
    if gunicorn.exists() and subprocess.run(check, capture_output=True).returncode == 0:
        return venv / "bin"
    print(f"[bench] installing {' '.join(ISSO_PACKAGES)} into {venv}", flush=True)
    subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True)
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet"]
    subprocess.run([*pip, *ISSO_PACKAGES], check=True, timeout=600)
    return venv / "bin"


def isso_config(path: Path, port: int, site: str) -> Path:
    """An Isso configuration: its own SQLite file, no moderation, no guard (rate limits)."""
    path.write_text(
        "[general]\n"
        f"dbpath = {path.parent / 'isso.sqlite3'}\n"
        f"host = {site}\n"
        "notify = stdout\n"
        "[moderation]\nenabled = false\n"
        "[guard]\nenabled = false\n"
        f"[server]\nlisten = http://127.0.0.1:{port}/\n"
    )
    return path


def isso_post(port: int, uri: str, data: dict[str, Any], site: str) -> dict[str, Any]:
    """POST one comment to Isso's API; its JSON answer."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        body = json.dumps(data)
        headers = {"Content-Type": "application/json", "Origin": site, "Referer": site}
        conn.request("POST", f"/new?{urlencode({'uri': uri})}", body=body, headers=headers)
        response = conn.getresponse()
        payload = response.read()
        if response.status != 201:
            raise BenchError(f"Isso refused a comment ({response.status}): {payload[:300]!r}")
        return json.loads(payload)
    finally:
        conn.close()


def seed_isso(port: int, site: str, count: int, keys: list[str]) -> None:
    """Post the same comments to Isso as the app has (replies to the same parents)."""
    for uri, items, title in [
        (f"/{THREAD_KEY}", comments(count), "Бишкек и Астана: диалог"),
        *[(f"/{k}", comments(n % 6, seed=n), f"Новость {n}") for n, k in enumerate(keys)],
    ]:
        ids: list[int] = []
        for item in items:
            data: dict[str, Any] = {"text": item.text, "author": item.author, "title": title}
            if item.parent is not None:
                data["parent"] = ids[item.parent]
            ids.append(isso_post(port, uri, data, site)["id"])


def isso_total(port: int) -> int:
    """Comments Isso returns for the big thread (top level plus replies)."""
    url = f"http://127.0.0.1:{port}/?{urlencode({'uri': '/' + THREAD_KEY})}"
    with urllib.request.urlopen(url, timeout=30) as response:
        data = json.loads(response.read())
    return len(data["replies"]) + sum(len(c.get("replies", [])) for c in data["replies"])


# ---------------------------------------------------------------- our app


def fetch(url: str, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    """Status and body of one GET."""
    request = urllib.request.Request(url, headers=headers or {})
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.status, response.read()


def updates_url(app: str) -> str:
    """The new-comments poll URL the thread page carries (with the current version)."""
    _status, page = fetch(f"{app}/w/comments/{THREAD_KEY}")
    match = re.search(r'hx-get="([^"]*/-/updates\?[^"]*)"', page.decode())
    if not match:
        raise BenchError("no new-comments poll in the thread page")
    return app + html.unescape(match.group(1))


def sizes(app: str, isso: str, count_url: str) -> dict[str, int]:
    """Bytes of each answer, for the report."""
    out = {
        "thread": len(fetch(f"{app}/w/comments/{THREAD_KEY}")[1]),
        "counts": len(fetch(count_url)[1]),
        "isso_thread": len(fetch(f"{isso}/?{urlencode({'uri': '/' + THREAD_KEY})}")[1]),
        "isso_page": len(fetch(f"{isso}/?{urlencode({'uri': '/' + THREAD_KEY, 'limit': 20})}")[1]),
    }
    return out


# ---------------------------------------------------------------- the benchmark


def run_benchmark(args: argparse.Namespace, report: Report) -> None:
    """Set everything up, measure, and tear everything down (also on failure)."""
    isso_bin = ensure_isso(args.isso_venv)
    keys = extra_keys(args.keys - 1)
    with Workspace(args.db).opened(args.pg_admin_url) as ws:
        ws.flask("init-db")
        ws.python(
            sys.executable,
            str(BENCH / "comment_data.py"),
            "--key",
            THREAD_KEY,
            "--count",
            str(args.count),
            "--extra-threads",
            str(len(keys)),
        )
        ws.worker()
        app_port = ws.gunicorn("app", "wsgi:app")
        bare_port = ws.gunicorn("bare", "bare_app:app", cwd=BENCH)
        site = f"http://127.0.0.1:{bare_port}/"
        isso_port = free_port()
        isso_env = {"PATH": f"{isso_bin}:/usr/bin:/bin", "HOME": str(ws.tmpdir)}
        isso_env["ISSO_SETTINGS"] = str(isso_config(ws.tmpdir / "isso.cfg", isso_port, site))
        # Isso gets the same process model as our app: its own gunicorn, our settings.
        gunicorn = [str(isso_bin / "gunicorn"), *GUNICORN[1:]]
        ws.start(
            "isso",
            [*gunicorn, "-b", f"127.0.0.1:{isso_port}", "isso.run:application"],
            cwd=ws.tmpdir,
            env=isso_env,
        )
        app = f"http://127.0.0.1:{app_port}"
        isso = f"http://127.0.0.1:{isso_port}"
        ws.wait(f"{site}hello")
        ws.wait(f"{app}/api/comments/count?key=x")
        ws.wait(f"{isso}/info")
        ws.note_rq_names()
        print("[bench] seeding Isso through its API", flush=True)
        seed_isso(isso_port, site, args.count, keys)
        if isso_total(isso_port) != args.count:
            raise BenchError(f"Isso does not return {args.count} comments")

        all_keys = [THREAD_KEY, *keys]
        count_url = f"{app}/api/comments/count?" + urlencode([("key", k) for k in all_keys])
        counts = json.loads(fetch(count_url)[1])
        if counts[THREAD_KEY] != args.count:
            raise BenchError(f"the counts API says {counts[THREAD_KEY]}, not {args.count}")
        poll = updates_url(app)
        if fetch(poll, {"HX-Request": "true"})[0] != 204:
            raise BenchError("the new-comments poll does not answer 204 for the current version")
        report.extra["bytes"] = sizes(app, isso, count_url)
        report.extra["keys"] = len(all_keys)
        isso_uris = json.dumps([f"/{k}" for k in all_keys], separators=(",", ":"))

        meter = Meter(report, ws.groups, args.max_other_cpu, args.quiet_timeout, REQUEST_TIMEOUT)
        plan = [
            ("bare", f"{site}hello", []),
            ("thread", f"{app}/w/comments/{THREAD_KEY}", []),
            ("updates_204", poll, ["HX-Request: true"]),
            ("counts", count_url, []),
            ("isso_thread", f"{isso}/?uri={quote('/' + THREAD_KEY)}", []),
            ("isso_page", f"{isso}/?uri={quote('/' + THREAD_KEY)}&limit=20", []),
            (
                "isso_count",
                f"{isso}/count",
                ["Content-Type: application/json", f"POST {isso_uris}"],
            ),
        ]
        for run in range(args.runs + 1):
            print("[bench] warm-up" if run == 0 else f"[bench] run {run}/{args.runs}", flush=True)
            duration = min(args.warmup, args.duration) if run == 0 else args.duration
            for endpoint, url, extra in plan:
                meter.wrk(endpoint, run, url, duration, args=extra, record=run > 0)
        ws.stop_all()
        finish(report)


# ---------------------------------------------------------------- reporting


def summarize(report: Report) -> list[dict[str, Any]]:
    """Per endpoint: req/s, ratios to the same run's bare route and Isso peer, latency, CPU."""
    rows = []
    for endpoint in ENDPOINTS:
        row = endpoint_row(report, endpoint, SERVERS.get(endpoint, "app"))
        if row is None:
            continue
        peer = PEERS.get(endpoint)
        if peer:
            mine = [r for r in report.results if r.endpoint == endpoint]
            row["isso_ratio"] = median(ratios_to(report.results, mine, peer))
            peer_p99 = median([r.p99_ms for r in report.results if r.endpoint == peer])
            row["isso_p99"] = peer_p99
        if endpoint == "thread":
            row["target"] = f">= {TARGET_ISSO:.0f}x Isso with a lower p99, >= {TARGET_BARE}x bare"
            row["met"] = (
                row["isso_ratio"] >= TARGET_ISSO
                and row["p99"] < row["isso_p99"]
                and row["ratio"] >= TARGET_BARE
            )
        rows.append(row)
    return rows


def markdown(report: Report) -> str:
    """The report as Markdown tables (what RESULTS.md quotes)."""
    keys = report.extra.get("keys", 0)
    out = [
        f"### comments, {report.db} — {report.started}",
        "",
        f"`{report.command}` — {report.runs} run(s) x {report.duration} s per endpoint, "
        f"wrk -t{WRK_THREADS} -c{WRK_CONNECTIONS} --timeout {REQUEST_TIMEOUT}s; {report.machine}",
        "",
        "| endpoint | bytes | median req/s (min..max) | ratio to bare (per run) | "
        "ratio to Isso | p50 ms | p99 ms (worst run) | statuses (all runs) | target | met "
        "| CPU %: gunicorn / RQ / redis / PG / wrk / other | server CPU ms/req |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    size = report.extra.get("bytes", {})
    for row in summarize(report):
        c = row_cells(row)
        met = "" if "met" not in row else ("yes" if row["met"] else "**no**")
        isso = f"{row['isso_ratio']:.1f}x" if "isso_ratio" in row else ""
        label = LABELS[row["endpoint"]].replace("N keys", f"{keys} keys")
        out.append(
            f"| {label.replace('N uris', f'{keys} uris')} | {size.get(row['endpoint'], '')} | "
            f"{c['rps']} | {c['ratio']} | {isso} | {c['latency']} | {c['statuses']} | "
            f"{row.get('target', '')} | {met} | {c['cpu']} | {c['cpu_ms']} |"
        )
    out += footer(report)
    out += notes(report)
    return "\n".join(out) + "\n"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    common_args(parser)
    parser.add_argument("--count", type=int, default=200, help="comments in the big thread")
    parser.add_argument("--keys", type=int, default=20, help="threads asked for in counts")
    parser.add_argument("--isso-venv", type=Path, default=ISSO_VENV)
    args = parser.parse_args(argv)
    check_common_args(parser, args)
    if args.count < 4 or not 1 <= args.keys <= 50:
        parser.error("--count must be >= 4 and --keys 1..50")
    return args


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark for one database and print the Markdown report."""
    args = parse_args(argv)
    return bench_main("comments.py", args, argv, run_benchmark, summarize, markdown)


if __name__ == "__main__":
    raise SystemExit(main())
