"""Benchmark the poll widget under gunicorn against a bare Flask route on the same settings.

Run from the repository root::

    .venv/bin/python bench/run.py [--db sqlite|postgresql] [--duration 10] [--runs 3]

It starts, for one database, a fresh schema with the demo data, a real RQ worker
(``python worker.py``), the app under ``gunicorn -w 4 -k sync`` and ``bench/bare_app.py``
under the same settings; then, in every run, drives each endpoint with
``wrk -t2 -c32 --latency`` (bare ``/hello``, widget page, unchanged-results 204 poll,
vote POST from new voters). After the runs a fixed-count phase sends exactly
``--exact-votes`` votes from a Python client and checks ballots == 200s == snapshot delta.
Everything started is stopped by PID, and the database and Redis keys are removed, also
on failure.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import http.client
import json
import os
import platform
import re
import secrets
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import psycopg
from itsdangerous import Signer
from redis import Redis

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
BIN = Path(sys.executable).parent
POLL_ID = 1
SEEDED_BALLOTS = 1492
WRK_THREADS = 2
WRK_CONNECTIONS = 32
REDIS_URL = "redis://127.0.0.1:6379/0"
PG_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/test"

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


class BenchError(RuntimeError):
    """A benchmark step failed; the message says which."""


@dataclass
class WrkResult:
    """One wrk run of one endpoint."""

    endpoint: str
    run: int
    requests: int
    duration_s: float
    rps: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    statuses: dict[str, int]
    errors: dict[str, int]
    load1_before: float
    cpu_pct: dict[str, float] = field(default_factory=dict)


@dataclass
class Report:
    """Everything one invocation measured, as written to --json and printed as Markdown."""

    db: str
    command: str
    started: str
    machine: str
    duration: int
    runs: int
    results: list[WrkResult] = field(default_factory=list)
    vote_runs: list[dict[str, Any]] = field(default_factory=list)
    exact: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    loadavg_end: str = ""
    busy_starts: list[float] = field(default_factory=list)


# ---------------------------------------------------------------- processes


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_process(cmd: list[str], cwd: Path, env: dict[str, str], log: Path) -> subprocess.Popen:
    """Start ``cmd`` in its own process group, output to ``log``."""
    with open(log, "wb") as out:
        return subprocess.Popen(
            cmd, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )


def stop_process(proc: subprocess.Popen, timeout: float = 15) -> None:
    """SIGTERM the process group we started (leader's PID), then SIGKILL after ``timeout``."""
    if proc.poll() is not None:
        return
    for sig, wait in ((signal.SIGTERM, timeout), (signal.SIGKILL, 5)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


def wait_http(url: str, procs: list[subprocess.Popen], timeout: float = 30) -> None:
    """Wait until ``url`` answers 200, failing early if one of ``procs`` died."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(p.poll() is not None for p in procs):
            raise BenchError(f"a process exited while waiting for {url}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise BenchError(f"{url} did not answer within {timeout:.0f} s")


def tail(path: Path, lines: int = 30) -> str:
    """The last ``lines`` lines of a log file (for error reports)."""
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def load1() -> float:
    """The 1-minute load average."""
    return float(Path("/proc/loadavg").read_text().split()[0])


def _proc_stats() -> Iterator[tuple[str, list[str]]]:
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        comm = text[text.find("(") + 1 : text.rfind(")")]
        yield comm, text[text.rfind(")") + 2 :].split()


def cpu_sample(groups: dict[str, int]) -> dict[str, float]:
    """CPU seconds used so far: the machine (busy), each of our process groups, redis-server,
    PostgreSQL, and our reaped children (wrk).

    The difference of two samples says who used the CPU during a wrk run; "other" (the rest)
    is other people's processes on this shared box.
    """
    hz = os.sysconf("SC_CLK_TCK")
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
    ticks: dict[str, int] = dict.fromkeys([*groups, "redis", "postgres"], 0)
    by_pgid = {pgid: name for name, pgid in groups.items()}
    for comm, f in _proc_stats():
        used = sum(int(x) for x in f[11:15])  # utime stime cutime cstime
        name = by_pgid.get(int(f[2]))
        if name is None and comm == "redis-server":
            name = "redis"
        elif name is None and comm.startswith("postgres"):
            name = "postgres"
        if name is not None:
            ticks[name] += used
    sample = {name: value / hz for name, value in ticks.items()}
    sample["busy"] = (sum(fields) - fields[3] - fields[4]) / hz  # minus idle and iowait
    children = os.times()
    sample["wrk"] = children.children_user + children.children_system
    return sample


def wait_quiet(stack: Stack, report: Report) -> None:
    """Wait (bounded) until other people's processes use less than --max-other-cpu percent."""
    deadline = time.monotonic() + stack.quiet_timeout
    while True:
        before = cpu_sample(stack.groups)
        time.sleep(1)
        after = cpu_sample(stack.groups)
        capacity = (os.cpu_count() or 1) * 1 / 100
        used = {k: (after[k] - before[k]) / capacity for k in after}
        other = used["busy"] - sum(v for k, v in used.items() if k != "busy")
        if other <= stack.max_other_cpu:
            return
        if time.monotonic() > deadline:
            report.busy_starts.append(round(other, 1))
            return


# ---------------------------------------------------------------- databases


@contextmanager
def database(kind: str, tmpdir: Path, tag: str, admin_url: str) -> Iterator[str]:
    """A fresh, empty database URL for this run; removed afterwards."""
    if kind == "sqlite":
        yield f"sqlite:///{tmpdir / 'bench.sqlite3'}"
        return
    name = f"polls_bench_{tag}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    try:
        host_part = admin_url.rsplit("/", 1)[0]
        yield f"{host_part}/{name}"
    finally:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def count_ballots(db_url: str, poll_id: int = POLL_ID) -> int:
    """Ballot rows of ``poll_id``, read directly from the database (not through the app)."""
    query = f"SELECT count(*) FROM ballots WHERE poll_id = {int(poll_id)}"
    if db_url.startswith("sqlite:///"):
        conn = sqlite3.connect(db_url[len("sqlite:///") :], timeout=30)
        try:
            return int(conn.execute(query).fetchone()[0])
        finally:
            conn.close()
    with psycopg.connect(db_url) as conn:
        row = conn.execute(query).fetchone()
        return int(row[0]) if row else 0


# ---------------------------------------------------------------- redis


def rq_busy(redis: Redis, queue: str, prefix: str) -> int:
    """Jobs queued, running or scheduled for retry, plus the pending-recompute marker."""
    return (
        redis.llen(f"rq:queue:{queue}")
        + redis.zcard(f"rq:wip:{queue}")
        + redis.zcard(f"rq:scheduled:{queue}")
        + redis.exists(f"{prefix}recompute-pending:{POLL_ID}")
    )


def wait_drained(redis: Redis, queue: str, prefix: str, timeout: float = 90) -> float:
    """Wait until the RQ queue is empty and idle (3 checks in a row); return the seconds waited."""
    start = time.monotonic()
    quiet = 0
    while time.monotonic() - start < timeout:
        quiet = quiet + 1 if rq_busy(redis, queue, prefix) == 0 else 0
        if quiet >= 3:
            return time.monotonic() - start
        time.sleep(0.2)
    raise BenchError(f"RQ queue {queue} did not drain within {timeout:.0f} s")


def rq_names(redis: Redis, queue: str) -> set[str]:
    """Names of the RQ workers and scheduler serving ``queue`` (their keys are not prefixed)."""
    names = {m.decode().rsplit(":", 1)[-1] for m in redis.smembers(f"rq:workers:{queue}")}
    lock = redis.get(f"rq:scheduler-lock:{queue}")
    if lock:
        names.add(lock.decode())
    return names


def delete_redis_keys(redis: Redis, tag: str, queue: str, names: set[str]) -> int:
    """Delete this run's keys: the app prefix, RQ keys naming our queue/jobs, our worker's keys."""
    deleted = 0
    for pattern in (f"bench{tag}:*", f"rq:*bench{tag}*"):
        batch = list(redis.scan_iter(match=pattern, count=1000))
        for i in range(0, len(batch), 500):
            deleted += redis.delete(*batch[i : i + 500])
    for name in names:
        for key in (f"rq:worker:{name}", f"rq:worker:{name}:executions", f"rq:scheduler:{name}"):
            deleted += redis.delete(key)
        redis.srem("rq:workers", f"rq:worker:{name}")
    redis.srem("rq:queues", f"rq:queue:{queue}")
    return deleted


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


# ---------------------------------------------------------------- wrk


def run_wrk(url: str, script: Path, duration: int, args: list[str]) -> dict[str, Any]:
    """Run wrk once with ``script``; the parsed ``BENCH_RESULT`` line of its done() hook."""
    cmd = [
        "wrk",
        f"-t{WRK_THREADS}",
        f"-c{WRK_CONNECTIONS}",
        f"-d{duration}s",
        "--latency",
        "-s",
        str(script),
        url,
    ]
    if args:
        cmd += ["--", *args]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=duration + 60)
    for line in proc.stdout.splitlines():
        if line.startswith("BENCH_RESULT "):
            return json.loads(line[len("BENCH_RESULT ") :])
    raise BenchError(f"wrk gave no result (rc={proc.returncode}): {proc.stdout}{proc.stderr}")


def to_result(endpoint: str, run: int, raw: dict[str, Any], load: float) -> WrkResult:
    """A WrkResult from wrk's JSON line."""
    seconds = raw["duration_us"] / 1e6
    return WrkResult(
        endpoint=endpoint,
        run=run,
        requests=raw["requests"],
        duration_s=round(seconds, 3),
        rps=round(raw["requests"] / seconds, 1),
        p50_ms=round(raw["p50_us"] / 1000, 2),
        p90_ms=round(raw["p90_us"] / 1000, 2),
        p99_ms=round(raw["p99_us"] / 1000, 2),
        max_ms=round(raw["max_us"] / 1000, 2),
        statuses=dict(sorted(raw["statuses"].items())),
        errors={k: v for k, v in raw["errors"].items() if v},
        load1_before=load,
    )


# ---------------------------------------------------------------- the benchmark


@dataclass
class Stack:
    """The running processes and what the phases need to reach them."""

    app_port: int
    bare_port: int
    db_url: str
    redis: Redis
    queue: str
    prefix: str
    secret: str
    cookie_file: Path
    cookies_per_block: int
    token: str = ""
    option_ids: list[int] = field(default_factory=list)
    groups: dict[str, int] = field(default_factory=dict)
    max_other_cpu: float = 100.0
    quiet_timeout: float = 0.0


def measure_run(stack: Stack, report: Report, run: int, duration: int, record: bool) -> None:
    """One pass over the four endpoints (run 0 is the unrecorded warm-up)."""
    app = f"http://127.0.0.1:{stack.app_port}"
    get_lua = BENCH / "get.lua"

    def go(endpoint: str, url: str, script: Path, args: list[str]) -> dict[str, Any]:
        load = load1()
        wait_quiet(stack, report)
        before = cpu_sample(stack.groups)
        raw = run_wrk(url, script, duration, args)
        after = cpu_sample(stack.groups)
        if record:
            result = to_result(endpoint, run, raw, load)
            capacity = (os.cpu_count() or 1) * raw["duration_us"] / 1e6 / 100
            used = {k: (after[k] - before[k]) / capacity for k in after}
            used["other"] = used["busy"] - sum(v for k, v in used.items() if k != "busy")
            result.cpu_pct = {k: round(v, 1) for k, v in used.items()}
            report.results.append(result)
        return raw

    go("bare", f"http://127.0.0.1:{stack.bare_port}/hello", get_lua, [])
    go("widget", f"{app}/w/poll/{POLL_ID}", get_lua, [])
    wait_drained(stack.redis, stack.queue, stack.prefix)
    version = current_version(stack.app_port)
    go(
        "results_204",
        f"{app}/w/poll/{POLL_ID}/results?v={version}",
        get_lua,
        ["HX-Request: true"],
    )
    before = count_ballots(stack.db_url)
    raw = go(
        "vote",
        f"{app}/w/poll/{POLL_ID}/vote",
        BENCH / "vote.lua",
        [
            str(stack.cookie_file),
            str(run * stack.cookies_per_block),
            str(stack.cookies_per_block // WRK_THREADS),
            quote(stack.token),
            ",".join(str(o) for o in stack.option_ids),
        ],
    )
    drain_s = wait_drained(stack.redis, stack.queue, stack.prefix)
    after = count_ballots(stack.db_url)
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
    wait_drained(stack.redis, stack.queue, stack.prefix)
    snap0 = api_results(stack.app_port)
    db0 = count_ballots(stack.db_url)
    cookies = make_cookies(stack.secret, votes)
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
    drain_s = wait_drained(stack.redis, stack.queue, stack.prefix)
    snap1 = api_results(stack.app_port)
    db1 = count_ballots(stack.db_url)
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
    tag = secrets.token_hex(4)
    prefix = f"bench{tag}:"
    secret = secrets.token_hex(24)
    redis = Redis.from_url(REDIS_URL)
    redis.ping()
    queue = prefix + "default"
    tmpdir = Path(tempfile.mkdtemp(prefix="polls-bench-"))
    procs: list[subprocess.Popen] = []
    names: set[str] = set()
    print(f"[bench] tag={tag} tmp={tmpdir} db={args.db}", flush=True)
    try:
        with database(args.db, tmpdir, tag, args.pg_admin_url) as db_url:
            env = dict(os.environ)
            env.update(
                DATABASE_URL=db_url,
                REDIS_URL=REDIS_URL,
                REDIS_KEY_PREFIX=prefix,
                SECRET_KEY=secret,
                VOTE_LIMIT_IP_POLL="100000000/600",
                VOTE_LIMIT_IP="100000000/600",
                PYTHONUNBUFFERED="1",
            )
            seed = subprocess.run(
                [str(BIN / "flask"), "--app", "wsgi", "seed-demo"],
                cwd=ROOT,
                env=env,
                capture_output=True,
                text=True,
                timeout=300,
            )
            if seed.returncode != 0:
                raise BenchError(f"seed-demo failed: {seed.stdout}{seed.stderr}")
            app_port, bare_port = free_port(), free_port()
            gunicorn = [str(BIN / "gunicorn"), "-w", "4", "-k", "sync", "-b"]
            logs = {n: tmpdir / f"{n}.log" for n in ("worker", "app", "bare")}
            procs.append(start_process([sys.executable, "worker.py"], ROOT, env, logs["worker"]))
            procs.append(
                start_process(
                    [*gunicorn, f"127.0.0.1:{app_port}", "wsgi:app"], ROOT, env, logs["app"]
                )
            )
            procs.append(
                start_process(
                    [*gunicorn, f"127.0.0.1:{bare_port}", "bare_app:app"], BENCH, env, logs["bare"]
                )
            )
            try:
                wait_http(f"http://127.0.0.1:{bare_port}/hello", procs)
                wait_http(f"http://127.0.0.1:{app_port}/api/polls/{POLL_ID}/results", procs)
                wait_drained(redis, queue, prefix)
                names = rq_names(redis, queue)

                blocks = args.runs + 1  # run 0 is the warm-up
                per_block = args.voters // blocks
                cookie_file = tmpdir / "cookies.txt"
                t0 = time.monotonic()
                cookie_file.write_text("\n".join(make_cookies(secret, per_block * blocks)) + "\n")
                print(
                    f"[bench] {per_block * blocks} cookies in {time.monotonic() - t0:.1f} s",
                    flush=True,
                )
                snapshot = api_results(app_port)
                stack = Stack(
                    app_port=app_port,
                    bare_port=bare_port,
                    db_url=db_url,
                    redis=redis,
                    queue=queue,
                    prefix=prefix,
                    secret=secret,
                    cookie_file=cookie_file,
                    cookies_per_block=per_block,
                    token=vote_token(app_port),
                    option_ids=[o["id"] for o in snapshot["options"]],
                    max_other_cpu=args.max_other_cpu,
                    quiet_timeout=args.quiet_timeout,
                    groups=dict(
                        zip(("rq_worker", "app", "bare"), (p.pid for p in procs), strict=True)
                    ),
                )
                if count_ballots(db_url) != SEEDED_BALLOTS:
                    raise BenchError("the seeded poll does not have 1492 ballots")
                for run in range(args.runs + 1):
                    label = "warm-up" if run == 0 else f"run {run}/{args.runs}"
                    print(f"[bench] {label}", flush=True)
                    duration = min(args.warmup, args.duration) if run == 0 else args.duration
                    measure_run(stack, report, run, duration, record=run > 0)
                print("[bench] fixed-count exactness phase", flush=True)
                report.exact = exact_phase(stack, args.exact_votes, args.exact_threads)
                failed = redis.zcard(f"rq:failed:{queue}")
                report.notes.append(f"RQ failed-job registry at the end: {failed} job(s)")
                names |= rq_names(redis, queue)
            except BaseException:
                for name, path in logs.items():
                    print(f"--- {name} log tail ---\n{tail(path)}", file=sys.stderr)
                raise
            finally:
                for proc in reversed(procs):
                    stop_process(proc)
                report.loadavg_end = Path("/proc/loadavg").read_text().strip()
    finally:
        for proc in procs:  # in case database() itself failed after start
            stop_process(proc)
        deleted = delete_redis_keys(redis, tag, queue, names)
        print(f"[bench] cleaned up: {deleted} Redis keys, {tmpdir}", flush=True)
        shutil.rmtree(tmpdir, ignore_errors=True)


# ---------------------------------------------------------------- reporting


nan = float("nan")


def _cpu_ms_per_request(r: WrkResult) -> float:
    """CPU ms the server side (gunicorn + RQ worker) spent per request in one wrk run."""
    server = r.cpu_pct.get("bare" if r.endpoint == "bare" else "app", nan)
    server += r.cpu_pct.get("rq_worker", 0.0)
    seconds = server / 100 * (os.cpu_count() or 1) * r.duration_s
    return 1000 * seconds / r.requests if r.requests else nan


def _median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def summarize(report: Report) -> list[dict[str, Any]]:
    """Per endpoint: median req/s, spread, median ratio to the same run's bare route, latency."""
    by_run = {(r.endpoint, r.run): r for r in report.results}
    rows = []
    for endpoint in ENDPOINTS:
        mine = [r for r in report.results if r.endpoint == endpoint]
        if not mine:
            continue
        ratios = [r.rps / by_run["bare", r.run].rps for r in mine if ("bare", r.run) in by_run]
        statuses: Counter[str] = Counter()
        errors: Counter[str] = Counter()
        for r in mine:
            statuses.update(r.statuses)
            errors.update(r.errors)
        row: dict[str, Any] = {
            "endpoint": endpoint,
            "rps": _median([r.rps for r in mine]),
            "rps_min": min(r.rps for r in mine),
            "rps_max": max(r.rps for r in mine),
            "ratio": _median(ratios),
            "ratios": [round(x, 3) for x in ratios],
            "p50": _median([r.p50_ms for r in mine]),
            "p99": _median([r.p99_ms for r in mine]),
            "p99_max": max(r.p99_ms for r in mine),
            "statuses": dict(sorted(statuses.items())),
            "errors": dict(errors),
            "loads": [r.load1_before for r in mine],
            "cpu_other": _median([r.cpu_pct.get("other", nan) for r in mine]),
            "cpu_app": _median(
                [r.cpu_pct.get("bare" if endpoint == "bare" else "app", nan) for r in mine]
            ),
            "cpu_rq": _median([r.cpu_pct.get("rq_worker", nan) for r in mine]),
            "cpu_ms": _median([_cpu_ms_per_request(r) for r in mine]),
            "cpu_db": _median([r.cpu_pct.get("postgres", nan) for r in mine]),
            "cpu_redis": _median([r.cpu_pct.get("redis", nan) for r in mine]),
            "cpu_wrk": _median([r.cpu_pct.get("wrk", nan) for r in mine]),
        }
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
        errors = f"; socket errors {row['errors']}" if row["errors"] else ""
        statuses = ", ".join(f"{k}: {v}" for k, v in row["statuses"].items())
        ratios = "/".join(f"{x:.2f}" for x in row["ratios"])
        out.append(
            f"| {LABELS[row['endpoint']]} | {row['rps']:.0f} ({row['rps_min']:.0f}.."
            f"{row['rps_max']:.0f}) | {row['ratio']:.2f}x ({ratios}) | {row['p50']:.2f} | "
            f"{row['p99']:.2f} ({row['p99_max']:.2f}) | {statuses}{errors} | "
            f"{row.get('target', 'reference')} | "
            f"{'' if 'met' not in row else ('yes' if row['met'] else '**no**')} | "
            f"{row['cpu_app']:.0f} / {row['cpu_rq']:.0f} / {row['cpu_redis']:.0f} / "
            f"{row['cpu_db']:.0f} / {row['cpu_wrk']:.0f} / {row['cpu_other']:.0f} | "
            f"{row['cpu_ms']:.2f} |"
        )
    loads = ", ".join(f"run {r.run} {r.endpoint} {r.load1_before:.2f}" for r in report.results)
    out += [
        "",
        f"load1 before each wrk run: {loads}; /proc/loadavg at the end: {report.loadavg_end}",
        "",
        "CPU % = median share of the whole machine (all cores = 100) during the wrk runs: "
        "gunicorn = the server under test (app, or bare for /hello), RQ = worker + its forked "
        "work-horses, PG = all postgres processes, wrk = the load generator, other = the rest "
        "(other people's processes on this shared box). server CPU ms/req = (gunicorn + RQ) CPU "
        "time / requests: less sensitive to the other load than req/s.",
        "",
    ]
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
        e = report.exact
        out.append(
            f"Fixed-count phase: {e['votes_sent']} votes from distinct voters over "
            f"{e['threads']} threads in {e['elapsed_s']} s -> statuses {e['statuses']}; "
            f"ballot rows +{e['db_delta']}; snapshot total +{e['snapshot_total_delta']}, "
            f"voters +{e['snapshot_voters_delta']} (after {e['drain_s']} s drain); "
            f"**{'EXACT' if e['exact'] else 'NOT EXACT'}**."
        )
    if report.busy_starts:
        out.append(
            f"- {len(report.busy_starts)} wrk runs (warm-up included) started while other "
            "processes still used "
            f"{min(report.busy_starts):.0f}..{max(report.busy_starts):.0f}% of the machine "
            "(the quiet wait timed out)"
        )
    out += [f"- {n}" for n in report.notes]
    return "\n".join(out) + "\n"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    parser.add_argument("--runs", type=int, default=3, help="recorded runs per endpoint")
    parser.add_argument("--warmup", type=int, default=2, help="seconds of the warm-up pass")
    parser.add_argument("--voters", type=int, default=400_000, help="signed cookies to make")
    parser.add_argument("--exact-votes", type=int, default=2000)
    parser.add_argument("--exact-threads", type=int, default=16)
    parser.add_argument("--pg-admin-url", default=PG_ADMIN_URL)
    parser.add_argument(
        "--max-other-cpu",
        type=float,
        default=15.0,
        help="before each wrk run, wait until other processes use less CPU than this (%%)",
    )
    parser.add_argument(
        "--quiet-timeout", type=float, default=60.0, help="longest such wait, seconds"
    )
    parser.add_argument("--json", type=Path, help="also write the raw results here")
    args = parser.parse_args(argv)
    if args.duration < 1 or args.runs < 1 or not 1 <= args.warmup <= 60:
        parser.error("--duration and --runs must be >= 1, --warmup 1..60")
    return args


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark for one database and print the Markdown report."""
    args = parse_args(argv)
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed")
    shown = sys.argv[1:] if argv is None else argv
    report = Report(
        db=args.db,
        command=" ".join([".venv/bin/python bench/run.py", *shown]),
        started=datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"),
        machine=f"{os.cpu_count()} CPUs, {platform.platform()}, wrk on the same machine",
        duration=args.duration,
        runs=args.runs,
    )
    report.notes.append(f"/proc/loadavg at start: {Path('/proc/loadavg').read_text().strip()}")
    run_benchmark(args, report)
    text = markdown(report)
    print(text)
    if args.json:
        payload = asdict(report) | {"summary": summarize(report), "markdown": text}
        args.json.write_text(json.dumps(payload, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
