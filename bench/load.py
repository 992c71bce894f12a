"""Load test: a front-page poll under readers and voters, then a hot comment thread.

Run from the repository root::

    .venv/bin/python bench/load.py [--db postgresql] [--poll-seconds 60] [--thread-seconds 30]

On gunicorn (``harness.GUNICORN``: 4 threaded workers) + the database + Redis + two RQ workers
(``python worker.py``), with wrk on the same machine, paced to a target rate
(``BENCH_RATE``, see common.lua):

1. Poll phase: readers poll the results (``GET /w/poll/1/results?v=..``, htmx; a
   reader whose version is behind gets the new results, else 204) at ``--poll-rate``
   while votes from new voters arrive at ``--vote-rate``. The RQ queue depth is
   sampled every second. After the queue drains: ballots added in the database,
   votes the app accepted (200s in its request log), and the snapshot's total must
   be equal.
2. Thread phase: ``--post-rate`` new comments per second on one thread, moderated by
   the workers, while readers load the thread page at ``--read-rate``. After the
   queue drains: every accepted comment (200s in the request log) is a row and none
   is still pending; the time from ``created_at`` to ``moderated_at`` (p50/p99).
3. After each phase: the resident memory of the web processes and the workers.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import json
import re
import statistics
import sys
import time
import urllib.request
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from comment_data import comments
from harness import (
    BENCH,
    ROOT,
    BenchError,
    Workspace,
    cpu_sample,
    cpu_shares,
    group_pids,
    load1,
    rq_busy,
    rss_mib,
    run_wrk,
    sql_rows,
    sql_scalar,
    wait_drained,
    wait_quiet,
)
from run import POLL_ID, api_results, count_ballots, current_version, make_cookies, vote_token

sys.path.insert(0, str(ROOT))
from tests.support.edge import nginx_available, start_edge  # noqa: E402

HOT_THREAD = "news/2026/11/25/hot-thread"
LIMITS = {
    "VOTE_LIMIT_IP_POLL": "100000000/600",
    "VOTE_LIMIT_IP": "100000000/600",
    "VOTE_LIMIT_NET_POLL": "100000000/600",
    "COMMENT_LIMIT_IP": "100000000/600",
    "COMMENT_LIMIT_VOTER": "100000000/600",
}


@dataclass
class Stream:
    """One paced wrk stream of a phase and what it measured."""

    name: str
    target_rate: float
    connections: int
    raw: dict[str, Any] = field(default_factory=dict)

    @property
    def rps(self) -> float:
        """Completed requests per second."""
        return self.raw["requests"] / (self.raw["duration_us"] / 1e6)

    def row(self) -> str:
        """A Markdown row: target, reached, latency, statuses."""
        r = self.raw
        statuses = ", ".join(f"{k}: {v}" for k, v in sorted(r["statuses"].items()))
        errors = {k: v for k, v in r["errors"].items() if v}
        if errors:
            statuses += f"; socket errors {errors}"
        return (
            f"| {self.name} | {self.target_rate:.0f} | {self.rps:.0f} | {self.connections} | "
            f"{r['p50_us'] / 1000:.1f} | {r['p99_us'] / 1000:.1f} | {r['max_us'] / 1000:.0f} | "
            f"{statuses} |"
        )


@dataclass
class Phase:
    """What one phase measured."""

    name: str
    seconds: int
    streams: list[Stream] = field(default_factory=list)
    queue_depth: list[tuple[float, int]] = field(default_factory=list)
    load1_before: float = 0.0
    busy_start: float | None = None
    cpu_pct: dict[str, float] = field(default_factory=dict)
    checks: dict[str, Any] = field(default_factory=dict)
    rss_mib: dict[str, float] = field(default_factory=dict)


def drive(
    ws: Workspace,
    args: argparse.Namespace,
    phase: Phase,
    plans: list[tuple[Stream, str, Path, list[str]]],
) -> None:
    """After a quiet wait, run the phase's wrk streams together, sampling the RQ queue."""
    phase.busy_start = wait_quiet(ws.groups, args.max_other_cpu, args.quiet_timeout)
    phase.load1_before = load1()
    cpu0 = cpu_sample(ws.groups)
    start = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(max_workers=len(plans)) as pool:
        futures = {
            pool.submit(
                run_wrk,
                url,
                script,
                phase.seconds,
                args,
                connections=stream.connections,
                rate=stream.target_rate,
                timeout=10,
            ): stream
            for stream, url, script, args in plans
        }
        while not all(f.done() for f in futures):
            phase.queue_depth.append(
                (round(time.monotonic() - start, 1), rq_busy(ws.redis, ws.queue))
            )
            time.sleep(1)
        for future, stream in futures.items():
            stream.raw = future.result()
            phase.streams.append(stream)
    used = cpu_shares(cpu0, cpu_sample(ws.groups), time.monotonic() - start)
    phase.cpu_pct = {k: round(v) for k, v in used.items()}


def accepted(log: Path, endpoint: str, since_line: int) -> tuple[int, int]:
    """(200s of ``endpoint`` in the app's request log after line ``since_line``, lines now)."""
    lines = log.read_text(errors="replace").splitlines()
    ok = 0
    for line in lines[since_line:]:
        if '"request"' not in line:
            continue
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if entry.get("endpoint") == endpoint and entry.get("status") == 200:
            ok += 1
    return ok, len(lines)


def log_lines(log: Path) -> int:
    """Lines in a log so far."""
    return len(log.read_text(errors="replace").splitlines())


def wait_log_settled(log: Path, quiet_s: float = 2.0, timeout: float = 60) -> None:
    """Wait until ``log`` has not grown for ``quiet_s``: requests wrk left in the server's
    backlog when it stopped are still served (and stored) after wrk exits."""
    deadline = time.monotonic() + timeout
    size, since = -1, time.monotonic()
    while time.monotonic() < deadline:
        now = log.stat().st_size
        if now != size:
            size, since = now, time.monotonic()
        elif time.monotonic() - since >= quiet_s:
            return
        time.sleep(0.2)


def memory(ws: Workspace) -> dict[str, float]:
    """RSS (MiB) of the app's gunicorn master and largest worker, and of each RQ worker."""
    out: dict[str, float] = {}
    app = ws.procs["app"].pid
    workers = [rss_mib(p) for p in group_pids(app) if p != app]
    out["gunicorn master"] = round(rss_mib(app), 1)
    out["gunicorn worker (largest of 4)"] = round(max(workers, default=0.0), 1)
    for name in ("rq_worker", "rq_worker2"):
        pids = group_pids(ws.procs[name].pid)
        out[f"{name} (+ its scheduler)"] = round(sum(rss_mib(p) for p in pids), 1)
    return out


def _timestamp(value: Any) -> datetime:
    return datetime.fromisoformat(value) if isinstance(value, str) else value


def percentile(values: list[float], pct: float) -> float:
    """The ``pct`` percentile (nearest rank), NaN for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered)) - 1))]


# ---------------------------------------------------------------- phases


def poll_phase(ws: Workspace, args: argparse.Namespace, app_port: int, front: int) -> Phase:
    """Readers polling results while votes arrive; then ballots = accepted = snapshot.

    The streams go to port ``front`` (nginx with --via-nginx, else the app); the checks
    read the app directly (an edge may answer from its cache, up to a second old).
    """
    phase = Phase("poll", args.poll_seconds)
    pending = (f"{ws.prefix}recompute-pending:{POLL_ID}",)
    wait_drained(ws.redis, ws.queue, pending)
    cookie_file = ws.tmpdir / "cookies.txt"
    per_thread = int(args.vote_rate * args.poll_seconds * 1.5 / 2) + 100
    cookie_file.write_text("\n".join(make_cookies(ws.secret, per_thread * 2)) + "\n")
    snap0 = api_results(app_port)
    db0 = count_ballots(ws.db_url)
    version = current_version(app_port)
    app = f"http://127.0.0.1:{front}"
    options = ",".join(str(o["id"]) for o in snap0["options"])
    start_line = log_lines(ws.logs["app"])
    drive(
        ws,
        args,
        phase,
        [
            (
                Stream("results poll `GET /w/poll/1/results?v=..` (HX)", args.poll_rate, 64),
                f"{app}/w/poll/{POLL_ID}/results?v={version}",
                BENCH / "get.lua",
                ["HX-Request: true"],
            ),
            (
                Stream("vote `POST /w/poll/1/vote` (HX, new voter each)", args.vote_rate, 32),
                f"{app}/w/poll/{POLL_ID}/vote",
                BENCH / "vote.lua",
                [str(cookie_file), "0", str(per_thread), quote(vote_token(front)), options],
            ),
            *thread_reads(args, app),
        ],
    )
    wait_log_settled(ws.logs["app"])
    drain_s = wait_drained(ws.redis, ws.queue, pending, timeout=180)
    ok, _ = accepted(ws.logs["app"], "polls.vote", start_line)
    snap1 = api_results(app_port)
    db1 = count_ballots(ws.db_url)
    phase.checks = {
        "drain_s": round(drain_s, 1),
        "accepted_200_in_log": ok,
        "wrk_200": phase.streams[1].raw["statuses"].get("200", 0),
        "ballots_added": db1 - db0,
        "snapshot_total_added": snap1["total"] - snap0["total"],
        "snapshot_voters_eq_db": snap1["voters"] == db1,
    }
    phase.checks["exact"] = (
        ok == db1 - db0 == snap1["total"] - snap0["total"] and snap1["voters"] == db1
    )
    worst = max(stream.raw["p99_us"] for stream in phase.streams) / 1000
    phase.checks["p99_under_100ms"] = worst < 100
    phase.rss_mib = memory(ws)
    return phase


def thread_reads(args: argparse.Namespace, app: str) -> list[tuple[Stream, str, Path, list[str]]]:
    """The comment-thread readers of the poll phase (none unless --poll-thread-reads)."""
    if not args.poll_thread_reads:
        return []
    return [
        (
            Stream("thread page `GET /w/comments/<key>` (new reader)", args.poll_thread_reads, 32),
            f"{app}/w/comments/{HOT_THREAD}",
            BENCH / "get.lua",
            ["User-Agent: bench-reader", "Accept-Encoding: gzip"],
        )
    ]


def thread_phase(ws: Workspace, args: argparse.Namespace, app_port: int) -> Phase:
    """New comments on a hot thread while readers load it; post -> moderated times."""
    phase = Phase("thread", args.thread_seconds)
    app = f"http://127.0.0.1:{app_port}"
    thread_id = int(sql_scalar(ws.db_url, f"SELECT id FROM threads WHERE key = '{HOT_THREAD}'"))
    last_id = int(sql_scalar(ws.db_url, "SELECT coalesce(max(id), 0) FROM comments"))
    with urllib.request.urlopen(f"{app}/w/comments/{HOT_THREAD}", timeout=30) as response:
        page = response.read().decode()
    match = re.search(r'name="token"[^>]*value="([^"]+)"', page) or re.search(
        r'value="([^"]+)"[^>]*name="token"', page
    )
    if not match:
        raise BenchError("no comment token in the thread page")
    start_line = log_lines(ws.logs["app"])
    drive(
        ws,
        args,
        phase,
        [
            (
                Stream("new comment `POST /w/comments/<key>` (HX)", args.post_rate, 16),
                f"{app}/w/comments/{HOT_THREAD}",
                BENCH / "comment.lua",
                [quote(match.group(1)), "Читатель"],
            ),
            (
                # Readers are not the authors (another browser): they get the shared page.
                Stream("thread page `GET /w/comments/<key>`", args.read_rate, 32),
                f"{app}/w/comments/{HOT_THREAD}",
                BENCH / "get.lua",
                ["User-Agent: bench-reader"],
            ),
        ],
    )
    wait_log_settled(ws.logs["app"])
    deadline = time.monotonic() + 180
    query = (
        f"SELECT count(*) FROM comments WHERE thread_id = {thread_id} AND id > {last_id} "
        "AND status = 'pending'"
    )
    while int(sql_scalar(ws.db_url, query)) and time.monotonic() < deadline:
        time.sleep(0.5)
    drain_s = wait_drained(ws.redis, ws.queue, timeout=60)
    ok, _ = accepted(ws.logs["app"], "comments.post", start_line)
    rows = sql_rows(
        ws.db_url,
        "SELECT status, created_at, moderated_at FROM comments "
        f"WHERE thread_id = {thread_id} AND id > {last_id}",
    )
    waits = [(_timestamp(m) - _timestamp(c)).total_seconds() for _s, c, m in rows if m is not None]
    outcomes: dict[str, int] = {}
    for status, _c, _m in rows:
        outcomes[status] = outcomes.get(status, 0) + 1
    phase.checks = {
        "drain_s": round(drain_s, 1),
        "accepted_200_in_log": ok,
        "rows_added": len(rows),
        "still_pending": outcomes.get("pending", 0),
        "outcomes": outcomes,
        "moderation_p50_s": round(percentile(waits, 50), 3),
        "moderation_p99_s": round(percentile(waits, 99), 3),
        "moderation_max_s": round(max(waits, default=float("nan")), 3),
        "moderation_mean_s": round(statistics.fmean(waits), 3) if waits else None,
    }
    phase.checks["none_lost"] = ok == len(rows) and outcomes.get("pending", 0) == 0
    phase.rss_mib = memory(ws)
    return phase


# ---------------------------------------------------------------- report


def markdown(phases: list[Phase], command: str, started: str) -> str:
    """The phases as Markdown (what RESULTS.md quotes)."""
    out = [f"### load — {started}", "", f"`{command}`", ""]
    for phase in phases:
        out += [
            f"#### {phase.name} phase, {phase.seconds} s (load1 before {phase.load1_before:.2f}"
            + (
                f"; started while other processes used {phase.busy_start:.0f} % of the machine)"
                if phase.busy_start is not None
                else "; started on a quiet machine)"
            ),
            "",
            "| stream | target req/s | reached req/s | connections | p50 ms | p99 ms | max ms "
            "| statuses |",
            "|---|---|---|---|---|---|---|---|",
            *[s.row() for s in phase.streams],
            "",
        ]
        depth = [d for _t, d in phase.queue_depth]
        if depth:
            out.append(
                f"RQ queue depth (queued + running + scheduled), sampled every second: "
                f"max {max(depth)}, median {statistics.median(depth):.0f}; series: "
                + " ".join(str(d) for d in depth)
            )
            out.append("")
        out.append(
            "CPU % of the machine during the phase (all cores = 100): "
            + ", ".join(f"{k} {v:.0f}" for k, v in phase.cpu_pct.items())
        )
        out.append("")
        out.append("Checks: " + ", ".join(f"{k} = {v}" for k, v in phase.checks.items()) + "  ")
        out.append(
            "Resident memory after the phase (MiB): "
            + ", ".join(f"{k} {v}" for k, v in phase.rss_mib.items())
        )
        out.append("")
    return "\n".join(out) + "\n"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="postgresql")
    parser.add_argument("--pg-admin-url", default="postgresql://postgres@127.0.0.1:5432/test")
    parser.add_argument("--poll-seconds", type=int, default=60)
    parser.add_argument("--poll-rate", type=float, default=1000.0)
    parser.add_argument("--vote-rate", type=float, default=300.0)
    parser.add_argument("--thread-seconds", type=int, default=30)
    parser.add_argument("--post-rate", type=float, default=50.0)
    parser.add_argument("--read-rate", type=float, default=100.0)
    parser.add_argument(
        "--poll-thread-reads",
        type=float,
        default=0.0,
        help="comment thread page loads/s during the poll phase (0: none)",
    )
    parser.add_argument(
        "--via-nginx",
        action="store_true",
        help="send the poll phase through nginx with deploy/nginx/ as shipped",
    )
    parser.add_argument("--max-other-cpu", type=float, default=15.0)
    parser.add_argument("--quiet-timeout", type=float, default=120.0)
    parser.add_argument("--json", type=Path, help="also write the raw results here")
    args = parser.parse_args(argv)
    if min(args.poll_seconds, args.thread_seconds) < 1 or min(args.poll_rate, args.vote_rate) <= 0:
        parser.error("durations and rates must be positive")
    return args


def main(argv: list[str] | None = None) -> int:
    """Run both phases on one stack and print the Markdown report."""
    args = parse_args(argv)
    shown = sys.argv[1:] if argv is None else argv
    command = " ".join([".venv/bin/python bench/load.py", *shown])
    if args.via_nginx and not nginx_available():
        raise SystemExit("--via-nginx needs Debian's nginx (/usr/sbin/nginx)")
    started = datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    phases: list[Phase] = []
    limits = LIMITS | ({"TRUSTED_PROXY_COUNT": "1"} if args.via_nginx else {})
    with Workspace(args.db, limits).opened(args.pg_admin_url) as ws:
        ws.flask("seed-demo")
        ws.python(
            sys.executable,
            str(BENCH / "comment_data.py"),
            "--key",
            HOT_THREAD,
            "--count",
            str(len(comments(50))),
        )
        ws.worker("rq_worker")
        ws.worker("rq_worker2")
        app_port = ws.gunicorn("app", "wsgi:app")
        ws.wait(f"http://127.0.0.1:{app_port}/api/polls/{POLL_ID}/results", timeout=90)
        ws.note_rq_names()
        front = app_port
        if args.via_nginx:
            edge = start_edge(app_port, ws.tmpdir / "nginx", ROOT / "static")
            # Registered as one of the workspace's processes: its CPU is split out as
            # "nginx" and it is stopped with the others.
            assert edge.process is not None
            ws.procs["nginx"] = edge.process
            front = edge.port
        print(f"[bench] poll phase, {args.poll_seconds} s", flush=True)
        phases.append(poll_phase(ws, args, app_port, front))
        print(f"[bench] thread phase, {args.thread_seconds} s", flush=True)
        phases.append(thread_phase(ws, args, app_port))
        failed = ws.redis.zcard(f"rq:failed:{ws.queue}")
        ws.stop_all()
    text = markdown(phases, command, started)
    text += f"\nRQ failed-job registry at the end: {failed} job(s)\n"
    print(text)
    if args.json:
        args.json.write_text(
            json.dumps([asdict(p) for p in phases], indent=2, ensure_ascii=False, default=str)
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
