"""What every benchmark in bench/ shares: processes, databases, Redis, wrk, CPU and reports.

A benchmark opens a `Workspace` (a temp dir, a fresh database, a Redis key prefix and
a secret), starts its servers through it, measures with `Meter.wrk`, and leaves; the
workspace stops every process it started (by process group) and removes the database,
the temp dir and the Redis keys, also on failure.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
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
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import psycopg
from redis import Redis

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
BIN = Path(sys.executable).parent
WRK_THREADS = 2
WRK_CONNECTIONS = 32
REDIS_URL = "redis://127.0.0.1:6379/0"
PG_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/test"
# The process model of deploy/gunicorn.conf.py: threaded workers that keep connections
# alive (wrk, like a proxy in front of the app, reuses its connections).
GUNICORN = [
    *(str(BIN / "gunicorn"), "-w", "4", "-k", "gthread"),
    *("--threads", "4", "--keep-alive", "5"),
]
nan = float("nan")


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
    extra: dict[str, Any] = field(default_factory=dict)


def new_report(args: argparse.Namespace, script: str, argv: list[str] | None) -> Report:
    """An empty report for ``script`` run with ``argv`` (sys.argv when None)."""
    shown = sys.argv[1:] if argv is None else argv
    report = Report(
        db=args.db,
        command=" ".join([f".venv/bin/python bench/{script}", *shown]),
        started=datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"),
        machine=f"{os.cpu_count()} CPUs, {platform.platform()}, wrk on the same machine",
        duration=args.duration,
        runs=args.runs,
    )
    report.notes.append(f"/proc/loadavg at start: {Path('/proc/loadavg').read_text().strip()}")
    return report


def bench_main(
    script: str,
    args: argparse.Namespace,
    argv: list[str] | None,
    run: Callable[[argparse.Namespace, Report], None],
    summarize: Callable[[Report], Any],
    markdown: Callable[[Report], str],
) -> int:
    """Run one benchmark, print its Markdown report and write --json (when given)."""
    report = new_report(args, script, argv)
    run(args, report)
    text = markdown(report)
    print(text)
    if args.json:
        payload = asdict(report) | {"summary": summarize(report), "markdown": text}
        args.json.write_text(json.dumps(payload, indent=2, ensure_ascii=False, default=str))
    return 0


def common_args(parser: argparse.ArgumentParser, *, duration: int = 10) -> None:
    """The options every benchmark takes (database, durations, quiet wait, --json)."""
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--duration", type=int, default=duration, help="seconds per wrk run")
    parser.add_argument("--runs", type=int, default=3, help="recorded runs per endpoint")
    parser.add_argument("--warmup", type=int, default=2, help="seconds of the warm-up pass")
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


def check_common_args(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """Refuse durations, run counts and warm-ups out of range; insist on wrk."""
    if args.duration < 1 or args.runs < 1 or not 1 <= args.warmup <= 60:
        parser.error("--duration and --runs must be >= 1, --warmup 1..60")
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed")


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


def _proc_stats() -> Iterator[tuple[int, str, list[str]]]:
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        comm = text[text.find("(") + 1 : text.rfind(")")]
        yield int(stat.parent.name), comm, text[text.rfind(")") + 2 :].split()


def group_pids(pgid: int) -> list[int]:
    """The PIDs in process group ``pgid`` (a gunicorn master and its workers, say)."""
    return [pid for pid, _comm, f in _proc_stats() if int(f[2]) == pgid]


def rss_mib(pid: int) -> float:
    """Resident memory of one process, MiB (0 when it is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


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
    for _pid, comm, f in _proc_stats():
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


def cpu_shares(before: dict[str, float], after: dict[str, float], seconds: float) -> dict:
    """Percent of the whole machine each group used between two samples, and "other"."""
    capacity = (os.cpu_count() or 1) * seconds / 100
    used = {k: (after[k] - before[k]) / capacity for k in after}
    used["other"] = used["busy"] - sum(v for k, v in used.items() if k != "busy")
    return used


def wait_quiet(groups: dict[str, int], max_other_cpu: float, timeout: float) -> float | None:
    """Wait up to ``timeout`` s until processes outside ``groups`` use < ``max_other_cpu`` %.

    Returns None once it is quiet, or the share the others still used when time ran out.
    """
    deadline = time.monotonic() + timeout
    while True:
        before = cpu_sample(groups)
        time.sleep(1)
        other = cpu_shares(before, cpu_sample(groups), 1)["other"]
        if other <= max_other_cpu:
            return None
        if time.monotonic() > deadline:
            return round(other, 1)


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


def sql_scalar(db_url: str, query: str) -> Any:
    """One value from ``query``, read directly from the database (not through the app)."""
    if db_url.startswith("sqlite:///"):
        conn = sqlite3.connect(db_url[len("sqlite:///") :], timeout=30)
        try:
            return conn.execute(query).fetchone()[0]
        finally:
            conn.close()
    with psycopg.connect(db_url) as conn:
        row = conn.execute(query).fetchone()
        return row[0] if row else None


def sql_rows(db_url: str, query: str) -> list[tuple]:
    """All rows of ``query``, read directly from the database."""
    if db_url.startswith("sqlite:///"):
        conn = sqlite3.connect(db_url[len("sqlite:///") :], timeout=30)
        try:
            return conn.execute(query).fetchall()
        finally:
            conn.close()
    with psycopg.connect(db_url) as conn:
        return conn.execute(query).fetchall()


# ---------------------------------------------------------------- redis


def rq_busy(redis: Redis, queue: str, extra_keys: tuple[str, ...] = ()) -> int:
    """Jobs queued, running or scheduled for retry, plus any of ``extra_keys`` that exist."""
    busy = (
        redis.llen(f"rq:queue:{queue}")
        + redis.zcard(f"rq:wip:{queue}")
        + redis.zcard(f"rq:scheduled:{queue}")
    )
    return busy + (redis.exists(*extra_keys) if extra_keys else 0)


def wait_drained(
    redis: Redis, queue: str, extra_keys: tuple[str, ...] = (), timeout: float = 90
) -> float:
    """Wait until the RQ queue is empty and idle (3 checks in a row); return the seconds waited."""
    start = time.monotonic()
    quiet = 0
    while time.monotonic() - start < timeout:
        quiet = quiet + 1 if rq_busy(redis, queue, extra_keys) == 0 else 0
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


# ---------------------------------------------------------------- the workspace


class Workspace:
    """One benchmark's temp dir, database, Redis prefix, secret and the processes it started."""

    def __init__(self, db_kind: str, env_overrides: dict[str, str] | None = None) -> None:
        self.db_kind = db_kind
        self.tag = secrets.token_hex(4)
        self.prefix = f"bench{self.tag}:"
        self.queue = self.prefix + "default"
        self.secret = secrets.token_hex(24)
        self.redis = Redis.from_url(REDIS_URL)
        self.redis.ping()
        self.tmpdir = Path(tempfile.mkdtemp(prefix="polls-bench-"))
        self.procs: dict[str, subprocess.Popen] = {}
        self.logs: dict[str, Path] = {}
        self.rq_names: set[str] = set()
        self.db_url = ""
        self.env: dict[str, str] = {}
        self.env_overrides = env_overrides or {}

    @property
    def groups(self) -> dict[str, int]:
        """Process-group id of each started process, by name (for CPU sampling)."""
        return {name: proc.pid for name, proc in self.procs.items()}

    def start(self, name: str, cmd: list[str], cwd: Path = ROOT, env: dict | None = None) -> int:
        """Start ``cmd`` as ``name`` (own process group, log in the temp dir); its PID."""
        self.logs[name] = self.tmpdir / f"{name}.log"
        proc = start_process(cmd, cwd, self.env if env is None else env, self.logs[name])
        self.procs[name] = proc
        return proc.pid

    def gunicorn(self, name: str, app: str, cwd: Path = ROOT, env: dict | None = None) -> int:
        """Start ``app`` under ``GUNICORN`` (4 threaded workers) on a free port; the port."""
        port = free_port()
        self.start(name, [*GUNICORN, "-b", f"127.0.0.1:{port}", app], cwd, env)
        return port

    def worker(self, name: str = "rq_worker") -> int:
        """Start a real RQ worker (``python worker.py``); its PID."""
        return self.start(name, [sys.executable, "worker.py"])

    def wait(self, url: str, timeout: float = 30) -> None:
        """Wait until ``url`` answers 200 (see `wait_http`)."""
        wait_http(url, list(self.procs.values()), timeout)

    def flask(self, *args: str, timeout: float = 300) -> str:
        """Run ``flask --app wsgi ARGS`` with the app's environment; its output."""
        return self.python(str(BIN / "flask"), "--app", "wsgi", *args, timeout=timeout)

    def python(self, *cmd: str, timeout: float = 300) -> str:
        """Run ``cmd`` (a path and arguments) with the app's environment; its output."""
        done = subprocess.run(
            list(cmd), cwd=ROOT, env=self.env, capture_output=True, text=True, timeout=timeout
        )
        if done.returncode != 0:
            raise BenchError(f"{' '.join(cmd)} failed: {done.stdout}{done.stderr}")
        return done.stdout

    def note_rq_names(self) -> None:
        """Remember the names of the workers serving our queue (their keys are deleted later)."""
        self.rq_names |= rq_names(self.redis, self.queue)

    @contextmanager
    def opened(self, pg_admin_url: str) -> Iterator[Workspace]:
        """Create the database and environment; on leaving, stop and remove everything."""
        print(f"[bench] tag={self.tag} tmp={self.tmpdir} db={self.db_kind}", flush=True)
        try:
            with database(self.db_kind, self.tmpdir, self.tag, pg_admin_url) as db_url:
                self.db_url = db_url
                self.env = dict(os.environ)
                self.env.update(
                    DATABASE_URL=db_url,
                    REDIS_URL=REDIS_URL,
                    REDIS_KEY_PREFIX=self.prefix,
                    SECRET_KEY=self.secret,
                    PYTHONUNBUFFERED="1",
                    **self.env_overrides,
                )
                try:
                    yield self
                    self.note_rq_names()
                except BaseException:
                    for name, path in self.logs.items():
                        print(f"--- {name} log tail ---\n{tail(path)}", file=sys.stderr)
                    raise
                finally:
                    self.stop_all()
        finally:
            self.stop_all()  # in case database() itself failed after a start
            deleted = delete_redis_keys(self.redis, self.tag, self.queue, self.rq_names)
            print(f"[bench] cleaned up: {deleted} Redis keys, {self.tmpdir}", flush=True)
            shutil.rmtree(self.tmpdir, ignore_errors=True)

    def stop_all(self) -> None:
        """Stop every process started here, the last started first."""
        for proc in reversed(list(self.procs.values())):
            stop_process(proc)


# ---------------------------------------------------------------- wrk


def run_wrk(
    url: str,
    script: Path,
    duration: int,
    args: list[str],
    *,
    threads: int = WRK_THREADS,
    connections: int = WRK_CONNECTIONS,
    timeout: int | None = None,
    rate: float | None = None,
) -> dict[str, Any]:
    """Run wrk once with ``script``; the parsed ``BENCH_RESULT`` line of its done() hook.

    ``timeout`` (seconds) replaces wrk's 2 s limit on one request, for slow peers;
    ``rate`` paces the requests (per second, all threads together; see common.lua).
    """
    cmd = [
        "wrk",
        f"-t{threads}",
        f"-c{connections}",
        f"-d{duration}s",
        "--latency",
        "-s",
        str(script),
        url,
    ]
    if timeout:
        cmd[1:1] = ["--timeout", f"{timeout}s"]
    if args:
        cmd += ["--", *args]
    env = None
    if rate:
        env = dict(os.environ, BENCH_RATE=f"{rate / threads:.3f}")
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=duration + 60, env=env)
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


@dataclass
class Meter:
    """Runs wrk after a quiet wait and records each run with the CPU split during it."""

    report: Report
    groups: dict[str, int]
    max_other_cpu: float = 100.0
    quiet_timeout: float = 0.0
    request_timeout: int | None = None

    def wait_quiet(self) -> None:
        """Wait (bounded) until other people's processes use less than max_other_cpu percent."""
        busy = wait_quiet(self.groups, self.max_other_cpu, self.quiet_timeout)
        if busy is not None:
            self.report.busy_starts.append(busy)

    def wrk(
        self,
        endpoint: str,
        run: int,
        url: str,
        duration: int,
        *,
        script: Path = BENCH / "get.lua",
        args: list[str] | None = None,
        record: bool = True,
    ) -> dict[str, Any]:
        """One wrk run of ``endpoint``; recorded in the report unless ``record`` is False."""
        load = load1()
        self.wait_quiet()
        before = cpu_sample(self.groups)
        raw = run_wrk(url, script, duration, args or [], timeout=self.request_timeout)
        after = cpu_sample(self.groups)
        if record:
            result = to_result(endpoint, run, raw, load)
            used = cpu_shares(before, after, raw["duration_us"] / 1e6)
            result.cpu_pct = {k: round(v, 1) for k, v in used.items()}
            self.report.results.append(result)
        return raw


# ---------------------------------------------------------------- reporting


def median(values: list[float]) -> float:
    """The median, NaN for no values."""
    return statistics.median(values) if values else nan


def cpu_ms_per_request(r: WrkResult, server: str) -> float:
    """CPU ms the server side (group ``server`` + RQ worker) spent per request in one wrk run."""
    used = r.cpu_pct.get(server, nan) + r.cpu_pct.get("rq_worker", 0.0)
    seconds = used / 100 * (os.cpu_count() or 1) * r.duration_s
    return 1000 * seconds / r.requests if r.requests else nan


def ratios_to(results: list[WrkResult], mine: list[WrkResult], reference: str) -> list[float]:
    """req/s of each of ``mine`` over ``reference``'s req/s in the same run."""
    by_run = {(r.endpoint, r.run): r for r in results}
    return [r.rps / by_run[reference, r.run].rps for r in mine if (reference, r.run) in by_run]


def endpoint_row(report: Report, endpoint: str, server: str) -> dict[str, Any] | None:
    """Median req/s, spread, ratio to the same run's bare route, latency and CPU of one endpoint.

    ``server`` names the process group that served it (for its CPU share).
    """
    mine = [r for r in report.results if r.endpoint == endpoint]
    if not mine:
        return None
    ratios = ratios_to(report.results, mine, "bare")
    statuses: Counter[str] = Counter()
    errors: Counter[str] = Counter()
    for r in mine:
        statuses.update(r.statuses)
        errors.update(r.errors)
    return {
        "endpoint": endpoint,
        "rps": median([r.rps for r in mine]),
        "rps_min": min(r.rps for r in mine),
        "rps_max": max(r.rps for r in mine),
        "ratio": median(ratios),
        "ratios": [round(x, 3) for x in ratios],
        "p50": median([r.p50_ms for r in mine]),
        "p99": median([r.p99_ms for r in mine]),
        "p99_max": max(r.p99_ms for r in mine),
        "statuses": dict(sorted(statuses.items())),
        "errors": dict(errors),
        "loads": [r.load1_before for r in mine],
        "cpu_other": median([r.cpu_pct.get("other", nan) for r in mine]),
        "cpu_app": median([r.cpu_pct.get(server, nan) for r in mine]),
        "cpu_rq": median([r.cpu_pct.get("rq_worker", nan) for r in mine]),
        "cpu_ms": median([cpu_ms_per_request(r, server) for r in mine]),
        "cpu_db": median([r.cpu_pct.get("postgres", nan) for r in mine]),
        "cpu_redis": median([r.cpu_pct.get("redis", nan) for r in mine]),
        "cpu_wrk": median([r.cpu_pct.get("wrk", nan) for r in mine]),
    }


def row_cells(row: dict[str, Any]) -> dict[str, str]:
    """The common Markdown cells of an `endpoint_row`."""
    errors = f"; socket errors {row['errors']}" if row["errors"] else ""
    statuses = ", ".join(f"{k}: {v}" for k, v in row["statuses"].items())
    ratios = "/".join(f"{x:.2f}" for x in row["ratios"])
    return {
        "rps": f"{row['rps']:.0f} ({row['rps_min']:.0f}..{row['rps_max']:.0f})",
        "ratio": f"{row['ratio']:.2f}x ({ratios})",
        "latency": f"{row['p50']:.2f} | {row['p99']:.2f} ({row['p99_max']:.2f})",
        "statuses": statuses + errors,
        "cpu": f"{row['cpu_app']:.0f} / {row['cpu_rq']:.0f} / {row['cpu_redis']:.0f} / "
        f"{row['cpu_db']:.0f} / {row['cpu_wrk']:.0f} / {row['cpu_other']:.0f}",
        "cpu_ms": f"{row['cpu_ms']:.2f}",
    }


def footer(report: Report) -> list[str]:
    """Load averages, how CPU shares are read, quiet-wait timeouts and notes."""
    loads = ", ".join(f"run {r.run} {r.endpoint} {r.load1_before:.2f}" for r in report.results)
    out = [
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
    return out


def notes(report: Report) -> list[str]:
    """The closing bullet points: quiet-wait timeouts, then the report's notes."""
    out = []
    if report.busy_starts:
        out.append(
            f"- {len(report.busy_starts)} wrk runs (warm-up included) started while other "
            "processes still used "
            f"{min(report.busy_starts):.0f}..{max(report.busy_starts):.0f}% of the machine "
            "(the quiet wait timed out)"
        )
    return out + [f"- {n}" for n in report.notes]


def finish(report: Report) -> None:
    """Record the load average at the end of the measurements."""
    report.loadavg_end = Path("/proc/loadavg").read_text().strip()
