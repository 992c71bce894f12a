"""First paint of the demo portal page with both widgets, on a throttled 3G line, through nginx.

Run from the repository root::

    .venv/bin/python bench/first_paint.py [--db sqlite|postgresql] [--runs 3]

It starts the app (``harness.GUNICORN``), a real RQ worker, nginx with ``deploy/nginx/`` as
shipped in front (``tests/support/edge.py``) and the demo portal
(``polls_site.demo.portal``) on another site: the widgets come from
``http://localhost:<nginx>``, the portal from ``http://127.0.0.1:<portal>``, so they are
third-party iframes as on the real portal. Debian's Chromium (``tests/support/browser.py``'s
launch arguments, plus site isolation off so that one DevTools session sees the iframes'
traffic too) loads the portal page with CDP ``Network.emulateNetworkConditions``
(``--down-kbps``/``--up-kbps``/``--rtt-ms``, default 1,600/750 kbit/s, 150 ms: Lighthouse's
"slow 4G"/"fast 3G" line) and ``Emulation.setCPUThrottlingRate`` (``--cpu-slowdown``).
For each run (a fresh profile): first contentful paint of the page and of each widget
iframe, from the navigation start of the page; bytes on the wire and requests per frame on
the first view, then the same for a second view of the page in the same profile.
"""

from __future__ import annotations

import argparse
import json
import secrets
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness import GUNICORN, ROOT, Workspace, free_port, load1, wait_quiet

sys.path.insert(0, str(ROOT))
from playwright.sync_api import Page, sync_playwright  # noqa: E402

from tests.support.browser import CHROMIUM, CHROMIUM_ARGS  # noqa: E402
from tests.support.edge import start_edge  # noqa: E402

WAIT_S = 90
# The CDP frame names of the page and its widgets, by the URL their document came from.
FRAMES = (("poll", "/w/poll/"), ("comments", "/w/comments/"))


def browser_args() -> list[str]:
    """The test suite's Chromium arguments with site isolation off (last --disable-features
    wins): cross-site iframes then share the page's renderer and DevTools session, so its
    network emulation and request events cover them as well."""
    args = [a for a in CHROMIUM_ARGS if not a.startswith("--disable-features=")]
    features = next(a for a in CHROMIUM_ARGS if a.startswith("--disable-features="))
    return [*args, features + ",IsolateOrigins,site-per-process", "--disable-site-isolation-trials"]


@dataclass
class Traffic:
    """What the DevTools session saw: each request's frame, URL, cache use and wire bytes."""

    requests: dict[str, dict[str, Any]] = field(default_factory=dict)
    frame_urls: dict[str, str] = field(default_factory=dict)

    def attach(self, cdp: Any) -> None:
        cdp.on("Network.requestWillBeSent", self._sent)
        cdp.on("Network.responseReceived", self._response)
        cdp.on("Network.requestServedFromCache", self._from_cache)
        cdp.on("Network.loadingFinished", self._finished)

    def _sent(self, e: dict[str, Any]) -> None:
        frame = e.get("frameId", "")
        self.requests[e["requestId"]] = {"frame": frame, "url": e["request"]["url"], "bytes": 0}
        if e.get("type") == "Document":
            self.frame_urls[frame] = e["request"]["url"]

    def _response(self, e: dict[str, Any]) -> None:
        item = self.requests.get(e["requestId"])
        if item is not None:
            item["status"] = e["response"]["status"]
            item["cached"] = bool(e["response"].get("fromDiskCache")) or item.get("cached", False)

    def _from_cache(self, e: dict[str, Any]) -> None:
        if e["requestId"] in self.requests:
            self.requests[e["requestId"]]["cached"] = True

    def _finished(self, e: dict[str, Any]) -> None:
        if e["requestId"] in self.requests:
            self.requests[e["requestId"]]["bytes"] = int(e.get("encodedDataLength", 0))

    def by_frame(self) -> dict[str, dict[str, Any]]:
        """Per frame (page, poll, comments): requests on the network, from cache, wire bytes."""
        names = {fid: frame_name(url) for fid, url in self.frame_urls.items()}
        out: dict[str, dict[str, Any]] = {}
        for item in self.requests.values():
            name = names.get(item["frame"], "page")
            row = out.setdefault(name, {"network": 0, "cached": 0, "bytes": 0, "urls": []})
            if item.get("cached"):
                row["cached"] += 1
                continue
            row["network"] += 1
            row["bytes"] += item["bytes"]
            row["urls"].append(item["url"].split("?")[0].rsplit("/", 1)[-1] or "/")
        return out


def frame_name(url: str) -> str:
    """``poll`` or ``comments`` for a widget document, else ``page``."""
    for name, marker in FRAMES:
        if marker in url:
            return name
    return "page"


FCP_JS = """() => {
  const e = performance.getEntriesByName('first-contentful-paint')[0];
  return e ? performance.timeOrigin + e.startTime : null;
}"""


SCROLL_JS = """() => {
  document.querySelector('[data-comments]').scrollIntoView();
  return performance.timeOrigin + performance.now();
}"""


def paints(page: Page) -> dict[str, float]:
    """Epoch ms of each frame's first contentful paint, once every frame has painted.

    embed.js loads its iframes lazily and the comments sit below the fold: once the page
    and the poll have painted, the reader scrolls to the comments (``scroll`` is when).
    """
    deadline = time.monotonic() + WAIT_S
    scrolled: float | None = None
    found: dict[str, float] = {}
    while time.monotonic() < deadline:
        found: dict[str, float] = {}
        for frame in page.frames:
            name = frame_name(frame.url)
            try:
                value = frame.evaluate(FCP_JS)
            except Exception:  # a frame navigating away (the poll's redirect)
                value = None
            if value is not None:
                found[name] = value
        if {"page", "poll", "comments"} <= found.keys() and scrolled is not None:
            return found | {"scroll": scrolled}
        if {"page", "poll"} <= found.keys() and scrolled is None:
            scrolled = page.evaluate(SCROLL_JS)
        page.wait_for_timeout(100)
    raise RuntimeError(f"not every frame painted within {WAIT_S} s: {found}")


def view(page: Page, cdp: Any, url: str) -> dict[str, Any]:
    """Load ``url`` once; FCP per frame (ms from navigation start) and traffic per frame."""
    traffic = Traffic()
    traffic.attach(cdp)
    page.goto(url, wait_until="load", timeout=WAIT_S * 1000)
    origin = page.evaluate("() => performance.timeOrigin")
    fcp = {name: round(at - origin) for name, at in paints(page).items()}
    fcp["comments_after_scroll"] = fcp["comments"] - fcp["scroll"]
    page.wait_for_load_state("networkidle", timeout=WAIT_S * 1000)
    return {"fcp_ms": fcp, "frames": traffic.by_frame()}


def measure(args: argparse.Namespace, portal: str) -> list[dict[str, Any]]:
    """``--runs`` fresh profiles, each a first and a second view of the portal page."""
    runs = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=browser_args())
        try:
            for _ in range(args.runs):
                context = browser.new_context()
                page = context.new_page()
                cdp = context.new_cdp_session(page)
                cdp.send("Network.enable")
                cdp.send(
                    "Network.emulateNetworkConditions",
                    {
                        "offline": False,
                        "latency": args.rtt_ms,
                        "downloadThroughput": args.down_kbps * 1000 / 8,
                        "uploadThroughput": args.up_kbps * 1000 / 8,
                    },
                )
                cdp.send("Emulation.setCPUThrottlingRate", {"rate": args.cpu_slowdown})
                first = view(page, cdp, portal)
                second = view(page, cdp, portal)
                runs.append({"first": first, "second": second, "load1": load1()})
                context.close()
        finally:
            browser.close()
    return runs


def markdown(args: argparse.Namespace, runs: list[dict[str, Any]], command: str) -> str:
    """Medians over the runs, per view and frame."""
    out = [
        f"### first paint — {time.strftime('%Y-%m-%d %H:%M %Z')}",
        "",
        f"`{command}` — {args.runs} fresh profile(s); Chromium {args.down_kbps:.0f}/"
        f"{args.up_kbps:.0f} kbit/s, {args.rtt_ms:.0f} ms RTT (CDP "
        f"Network.emulateNetworkConditions), CPU slowdown {args.cpu_slowdown:g}x; "
        "through nginx (deploy/nginx/ as shipped); sizes are bytes on the wire "
        "(headers included, compressed)",
        "",
        "| view | frame | FCP ms from navigation start (per run) | requests on the network "
        "| from browser cache | KiB on the wire | what was fetched (run 1) |",
        "|---|---|---|---|---|---|---|",
    ]
    for view_name in ("first", "second"):
        for frame in ("page", "poll", "comments"):
            fcps = [r[view_name]["fcp_ms"].get(frame) for r in runs]
            if frame == "comments":
                after = [r[view_name]["fcp_ms"]["comments_after_scroll"] for r in runs]
                fcps_note = f"; {statistics.median(after):.0f} after the scroll"
            else:
                fcps_note = ""
            rows = [r[view_name]["frames"].get(frame, {}) for r in runs]
            net = statistics.median([x.get("network", 0) for x in rows])
            cached = statistics.median([x.get("cached", 0) for x in rows])
            kib = statistics.median([x.get("bytes", 0) for x in rows]) / 1024
            urls = ", ".join(rows[0].get("urls", []))
            out.append(
                f"| {view_name} | {frame} | {statistics.median(fcps):.0f} "
                f"({'/'.join(str(f) for f in fcps)}){fcps_note} | {net:.0f} | {cached:.0f} "
                f"| {kib:.1f} | {urls} |"
            )
    out += [
        "",
        "A widget's row counts the requests its iframe made (its document, scripts, CSS, the "
        "htmx requests it made while loading); `page` is the portal's own page, embed.js and "
        "the counts request. embed.js loads the iframes lazily and the comments are below "
        "the fold: the script scrolls to them once the page and the poll have painted, so "
        "the comments' FCP includes that wait; 'after the scroll' is from the scroll. "
        "load1 after each run: " + ", ".join(f"{r['load1']:.2f}" for r in runs),
    ]
    return "\n".join(out) + "\n"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--pg-admin-url", default="postgresql://postgres@127.0.0.1:5432/test")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--down-kbps", type=float, default=1600.0)
    parser.add_argument("--up-kbps", type=float, default=750.0)
    parser.add_argument("--rtt-ms", type=float, default=150.0)
    parser.add_argument("--cpu-slowdown", type=float, default=4.0)
    parser.add_argument("--max-other-cpu", type=float, default=15.0)
    parser.add_argument("--quiet-timeout", type=float, default=30.0)
    parser.add_argument("--json", type=Path, help="also write the raw results here")
    args = parser.parse_args(argv)
    if args.runs < 1 or min(args.down_kbps, args.up_kbps) <= 0 or args.cpu_slowdown < 1:
        parser.error("--runs >= 1, positive rates, --cpu-slowdown >= 1")
    for path in (CHROMIUM, "/usr/sbin/nginx"):
        if not Path(path).exists():
            raise SystemExit(f"{path} is not installed")
    return args


def main(argv: list[str] | None = None) -> int:
    """Start the stack, measure, print the Markdown report."""
    args = parse_args(argv)
    shown = sys.argv[1:] if argv is None else argv
    command = " ".join([".venv/bin/python bench/first_paint.py", *shown])
    portal_port = free_port()
    portal_origin = f"http://127.0.0.1:{portal_port}"
    signing_key = secrets.token_hex(32)
    env = {
        "TRUSTED_PROXY_COUNT": "1",
        "WORKER_METRICS_BIND": "off",
        "EMBED_ALLOWED_ORIGINS": portal_origin,
        "EMBED_SIGNING_KEYS": f"{portal_origin}={signing_key}",
    }
    with Workspace(args.db, env).opened(args.pg_admin_url) as ws:
        ws.flask("seed-demo")
        ws.worker()
        app_port = ws.gunicorn("app", "wsgi:app")
        ws.wait(f"http://127.0.0.1:{app_port}/api/polls/1/results", timeout=90)
        edge = start_edge(app_port, ws.tmpdir / "nginx", ROOT / "static")
        assert edge.process is not None
        ws.procs["nginx"] = edge.process
        ws.note_rq_names()
        widget_origin = f"http://localhost:{edge.port}"
        portal_env = dict(
            ws.env, PORTAL_WIDGET_ORIGIN=widget_origin, PORTAL_SIGNING_KEY=signing_key
        )
        ws.start(
            "portal",
            [
                *GUNICORN[:1],
                "-w",
                "1",
                "-b",
                f"127.0.0.1:{portal_port}",
                "polls_site.demo.portal:create_portal_app()",
            ],
            env=portal_env,
        )
        ws.wait(portal_origin + "/")
        busy = wait_quiet(ws.groups, args.max_other_cpu, args.quiet_timeout)
        runs = measure(args, portal_origin + "/")
        ws.stop_all()
    text = markdown(args, runs, command)
    if busy is not None:
        text += f"\nStarted while other processes used {busy:.0f} % of the machine.\n"
    print(text)
    if args.json:
        args.json.write_text(json.dumps(runs, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
