"""Flame graph of the vote POST under the benchmark's load: py-spy records the app's gunicorn
workers while wrk sends votes from new voters, as in run.py's vote phase.

Run from the repository root (py-spy is not in the locks; install it into the venv)::

    .venv/bin/python -m pip install py-spy
    .venv/bin/python bench/profile_vote.py --db postgresql --duration 15 \
        --out bench/profiles/vote-pg.svg

The SVG shows every sampled stack of the four workers (idle threads excluded), so the
width of ``vote`` and of each frame under it is its share of the server's CPU per vote.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

from harness import BENCH, BIN, PG_ADMIN_URL, WRK_THREADS, BenchError, Workspace, run_wrk
from run import POLL_ID, api_results, make_cookies, vote_token


def py_spy() -> str:
    """The py-spy executable: the venv's, else one on PATH."""
    found = BIN / "py-spy"
    if found.exists():
        return str(found)
    on_path = shutil.which("py-spy")
    if on_path is None:
        raise BenchError("py-spy is not installed: .venv/bin/python -m pip install py-spy")
    return on_path


def main(argv: list[str] | None = None) -> int:
    """Start the stack, record the workers during a vote load, write the SVG."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="postgresql")
    parser.add_argument("--duration", type=int, default=15)
    parser.add_argument("--rate", type=int, default=250, help="py-spy samples per second")
    parser.add_argument("--out", type=Path, default=BENCH / "profiles" / "vote.svg")
    parser.add_argument(
        "--format", default="flamegraph", help="py-spy's: flamegraph (SVG), raw (folded stacks)"
    )
    parser.add_argument(
        "--all-threads",
        action="store_true",
        help="also sample threads waiting on I/O without the GIL (wall time, not CPU)",
    )
    parser.add_argument("--pg-admin-url", default=PG_ADMIN_URL)
    args = parser.parse_args(argv)
    spy = py_spy()
    limits = {
        "VOTE_LIMIT_IP_POLL": "100000000/600",
        "VOTE_LIMIT_IP": "100000000/600",
        "VOTE_LIMIT_NET_POLL": "100000000/600",
    }
    with Workspace(args.db, limits).opened(args.pg_admin_url) as ws:
        ws.flask("seed-demo")
        ws.worker()
        port = ws.gunicorn("app", "wsgi:app")
        ws.wait(f"http://127.0.0.1:{port}/api/polls/{POLL_ID}/results", timeout=120)
        ws.note_rq_names()
        per_thread = 2000 * (args.duration + 3)
        cookie_file = ws.tmpdir / "cookies.txt"
        block = per_thread * WRK_THREADS  # the warm-up's voters come after the run's
        cookie_file.write_text("\n".join(make_cookies(ws.secret, 2 * block)))
        options = ",".join(str(o["id"]) for o in api_results(port)["options"])
        token = quote(vote_token(port))
        wrk_args = [str(cookie_file), "0", str(per_thread), token, options]
        url = f"http://127.0.0.1:{port}/w/poll/{POLL_ID}/vote"
        warm = [str(cookie_file), str(block), str(per_thread), token, options]
        run_wrk(url, BENCH / "vote.lua", 2, warm)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        master = ws.procs["app"].pid
        spy_cmd = [spy, "record", "--subprocesses", "--pid", str(master), "--rate"]
        spy_cmd += [str(args.rate), "--duration", str(args.duration), "-o", str(args.out)]
        spy_cmd += ["--format", args.format]
        if not args.all_threads:
            # Only the thread holding the GIL: what the worker spends CPU on, not its waits
            # for PostgreSQL and Redis answers.
            spy_cmd.append("--gil")
        recorder = subprocess.Popen(spy_cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        raw = run_wrk(url, BENCH / "vote.lua", args.duration, wrk_args)
        output, _ = recorder.communicate(timeout=args.duration + 60)
        print(output.decode(errors="replace")[-2000:])
        print(f"wrk: {raw['requests']} requests, statuses {raw['statuses']}")
        print(f"flame graph: {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
