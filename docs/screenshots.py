"""Take the README's screenshots of the demo (``make screenshots``): ``flask demo`` on free
ports with a throwaway instance folder, Debian's Chromium through Playwright, PNGs written to
``docs/screenshots/``; the browser tests' Chromium settings. Run it again after a change to
one of the screens it shows."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from playwright.sync_api import Browser, FrameLocator, Page, expect, sync_playwright

from tests.support.browser import CHROMIUM, CHROMIUM_ARGS

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "screenshots"
STARTUP_SECONDS = 120


def free_port_pair() -> int:
    """A port P with P and P + 1 free: the widgets and the demo portal."""
    while True:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        try:
            with socket.socket() as probe:
                probe.bind(("127.0.0.1", port + 1))
            return port
        except OSError:
            continue


def start_demo(instance: Path, port: int) -> subprocess.Popen:
    """``flask demo`` on ``port`` with an embedded Redis and a SQLite file in ``instance``."""
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    env.update(INSTANCE_PATH=str(instance), WORKER_METRICS_BIND="off")
    metrics = instance / "metrics"
    metrics.mkdir(parents=True)
    env["PROMETHEUS_MULTIPROC_DIR"] = str(metrics)
    command = [sys.executable, "-m", "flask", "--app", "wsgi", "demo", "--port", str(port)]
    log = (instance / "demo.log").open("w")
    return subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )


def wait_for_banner(instance: Path, process: subprocess.Popen) -> str:
    """The banner the launcher writes once everything serves."""
    banner = instance / "demo.txt"
    deadline = time.monotonic() + STARTUP_SECONDS
    while not banner.exists():
        if process.poll() is not None or time.monotonic() > deadline:
            raise SystemExit((instance / "demo.log").read_text(encoding="utf-8"))
        time.sleep(0.2)
    return banner.read_text(encoding="utf-8")


def password_of(banner: str, username: str) -> str:
    """A demo account's password, as the banner prints it."""
    match = re.search(rf"user '{username}'\s+password '([^']+)'", banner)
    if match is None:
        raise SystemExit(f"no account {username!r} in the banner:\n{banner}")
    return match.group(1)


def comments_frame(page: Page) -> FrameLocator:
    """The demo article's comment widget, loaded."""
    frame = page.frame_locator("[data-comments] iframe")
    expect(frame.locator("#comment-items .comment").first).to_be_visible()
    return frame


def reply_in_place(browser: Browser, portal: str) -> None:
    """A reply form opened under the comment it answers, the name declined."""
    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="ru-RU")
    page.goto(portal + "/")
    frame = comments_frame(page)
    frame.locator("#comment-items .comment .reply-link").nth(1).click()
    form = frame.locator("#reply-form")
    expect(form).to_be_visible()
    form.get_by_label("Ваше имя").fill("Айгерим")
    form.get_by_label("Комментарий", exact=True).fill("Согласна: пусть сначала откроют границу.")
    # The viewport, scrolled where the reader is: full-page captures leave cross-origin
    # frames half painted.
    page.screenshot(path=OUT / "reply-in-place.png")
    page.close()


def portal_without_scripts(browser: Browser, portal: str) -> None:
    """The embed snippet's <noscript> frames and the comment-count link, no JavaScript."""
    context = browser.new_context(
        java_script_enabled=False, viewport={"width": 1280, "height": 800}, locale="ru-RU"
    )
    page = context.new_page()
    page.goto(portal + "/")
    expect(page.frame_locator("[data-poll] iframe").locator("#poll")).to_be_visible()
    page.screenshot(path=OUT / "portal-without-javascript.png")
    # The comments' frame is lazy: brought into view, it loads.
    page.locator("#comments-heading").scroll_into_view_if_needed()
    comments = page.frame_locator("#comments iframe")
    expect(comments.locator("#comment-items .comment").first).to_be_visible()
    page.screenshot(path=OUT / "comments-without-javascript.png")
    context.close()


def staff_screens(browser: Browser, widgets: str, password: str) -> None:
    """The editor's analytics (labelled partial hour, colour-blind-safe palette, table)."""
    page = browser.new_page(viewport={"width": 1280, "height": 1000}, locale="ru-RU")
    page.goto(widgets + "/staff/login")
    page.get_by_label("Имя пользователя").fill("editor")
    page.get_by_label("Пароль").fill(password)
    page.get_by_role("button", name="Войти").click()
    page.goto(widgets + "/staff/polls/1/analytics")
    expect(page.locator("svg, canvas").first).to_be_visible()
    page.screenshot(path=OUT / "poll-analytics.png", full_page=True)
    page.close()


def main() -> int:
    """Start the demo, take each screenshot, stop the demo."""
    OUT.mkdir(parents=True, exist_ok=True)
    port = free_port_pair()
    widgets, portal = f"http://localhost:{port}", f"http://127.0.0.1:{port + 1}"
    with tempfile.TemporaryDirectory() as tmp:
        instance = Path(tmp) / "instance"
        instance.mkdir()
        process = start_demo(instance, port)
        try:
            banner = wait_for_banner(instance, process)
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                reply_in_place(browser, portal)
                portal_without_scripts(browser, portal)
                staff_screens(browser, widgets, password_of(banner, "editor"))
                browser.close()
        finally:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=30)
    for png in sorted(OUT.glob("*.png")):
        print(png.relative_to(ROOT))
    return 0


if __name__ == "__main__":
    sys.exit(main())
