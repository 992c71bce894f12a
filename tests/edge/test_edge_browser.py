"""The demo portal page in Chromium with both widgets served through the shipped nginx
config: each iframe's first load stays within its budget (≤ 30 kB compressed in ≤ 4
requests), and a reader who voted never gets the page the edge shares."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from playwright.sync_api import Frame, Page, Request, Response, expect

from tests.edge.conftest import Sites
from tests.support.factories import make_poll

pytestmark = [pytest.mark.browser, pytest.mark.live]

BUDGET_BYTES = 30_000
BUDGET_REQUESTS = 4
OPTIONS = ["Да", "Нет", "Не знаю"]


# Per entry of the frame's resource timing: bytes that crossed the network (headers and
# encoded body; 0 for an answer from the browser's cache).
TRANSFERS = """() => [...performance.getEntriesByType('navigation'),
                  ...performance.getEntriesByType('resource')]
                 .map(e => [e.name, e.transferSize])"""


@dataclass
class Load:
    """What one iframe fetched over the network on its first load: its own documents (a
    redirect included) and the static files, each with the bytes it transferred."""

    documents: dict[str, int]
    assets: dict[str, int]


def first_loads(page: Page, url: str) -> dict[str, Load]:
    """Open ``url`` and return, per widget iframe ("poll", "comments"), what it fetched
    over the network (answers from the browser's cache are left out)."""
    finished: list[Request] = []
    page.on("requestfinished", lambda request: finished.append(request))
    page.goto(url, wait_until="networkidle")
    loads: dict[str, Load] = {}
    for frame in page.frames:
        if frame == page.main_frame:
            continue
        widget = "poll" if "/w/poll/" in frame.url else "comments"
        load = loads[widget] = Load({}, {})
        for request in finished:
            if request.frame == frame and request.redirected_to:
                sizes = request.sizes()
                load.documents[request.url] = sizes["responseHeadersSize"]
        for name, size in frame.evaluate(TRANSFERS):
            if size > 0:
                (load.assets if "/static/" in name else load.documents)[name] = size
    return loads


def as_first(loads: dict[str, Load], widget: str) -> tuple[int, int]:
    """Requests and bytes of ``widget``'s first load had it come first: its own documents
    plus every static file, whichever of the two iframes happened to fetch it."""
    assets = {name: size for load in loads.values() for name, size in load.assets.items()}
    documents = loads[widget].documents
    return len(documents) + len(assets), sum(documents.values()) + sum(assets.values())


def snippet(poll: str) -> str:
    """A portal article page with the README's snippet: a poll and a comment thread."""
    return (
        '<!doctype html><html><head><meta charset="utf-8"><title>Статья</title>'
        '<script src="{widgets}/embed.js" defer></script></head><body>'
        f'<div data-poll="{poll}"></div>'
        '<div data-comments="edge-budget" data-title="Статья" data-url="{portal}/a"></div>'
        "</body></html>"
    )


def test_each_widgets_first_load_is_within_budget(sites: Sites, page: Page) -> None:
    poll_id = make_poll(sites.server.app, OPTIONS)
    widgets = f"http://localhost:{sites.edge.port}"
    sites.pages["a"] = snippet(str(poll_id)).format(widgets=widgets, portal=sites.article)
    loads = first_loads(page, sites.article + "/a")
    assert set(loads) == {"poll", "comments"}
    for widget in loads:
        requests, transferred = as_first(loads, widget)
        print(f"\nfirst load, {widget}: {requests} requests, {transferred} B")
        assert requests <= BUDGET_REQUESTS, (widget, loads)
        assert transferred <= BUDGET_BYTES, (widget, loads)
    # The second widget found the shared files in the cache: each crossed the network once.
    fetched = [name for load in loads.values() for name in load.assets]
    assert len(fetched) == len(set(fetched)) and any("/static/htmx" in n for n in fetched)


def test_the_demo_portals_current_poll_costs_one_redirect_more(sites: Sites, page: Page) -> None:
    """data-poll="current" asks the section's current poll first (a redirect the edge
    shares for a second): one request more than a poll named by its id."""
    make_poll(sites.server.app, OPTIONS)
    loads = first_loads(page, sites.portal + "/")
    for widget in loads:
        requests, transferred = as_first(loads, widget)
        print(f"\ndemo portal, {widget}: {requests} requests, {transferred} B")
        assert transferred <= BUDGET_BYTES, (widget, loads)
    assert "/w/poll/current" in next(iter(loads["poll"].documents))
    assert as_first(loads, "poll")[0] == BUDGET_REQUESTS + 1
    assert as_first(loads, "comments")[0] <= BUDGET_REQUESTS


def poll_frame(page: Page) -> Frame:
    handle = page.wait_for_selector("[data-poll] iframe")
    frame = handle.content_frame()
    assert frame is not None
    frame.wait_for_selector("#poll")
    return frame


def test_a_voter_reloading_sees_their_own_screen_never_the_shared_page(
    sites: Sites, page: Page
) -> None:
    """Cross-site over HTTP the browser drops the voter cookie: the reader gets the shared
    page, and widget.js fetches their own screen with the stored id, which the edge
    always passes to the app (the same-site cookie case: tests/edge/test_edge.py)."""
    poll_id = make_poll(sites.server.app, OPTIONS, question="Вы за новый мост?")
    widgets = f"http://localhost:{sites.edge.port}"
    sites.pages["voter"] = snippet(str(poll_id)).format(widgets=widgets, portal=sites.article)
    own_screens: list[str | None] = []
    shared_cookies: list[str] = []

    def watch(response: Response) -> None:
        if f"/w/poll/{poll_id}" not in response.url:
            return
        if response.headers.get("x-cache") in ("HIT", "STALE", "UPDATING"):
            if "set-cookie" in response.headers:
                shared_cookies.append(response.url)
        voter = response.request.headers.get("x-voter-id")
        if voter and voter != "new" and response.request.method == "GET":
            own_screens.append(response.headers.get("x-cache"))

    page.on("response", watch)
    page.goto(sites.article + "/voter")
    frame = poll_frame(page)
    frame.get_by_label(OPTIONS[1]).check()
    frame.get_by_role("button", name="Голосовать").click()
    expect(frame.locator("#poll .notice-success")).to_have_text("Спасибо! Ваш голос учтён.")
    for reload in range(1, 3):
        page.reload()
        frame = poll_frame(page)
        expect(frame.locator("#poll .notice-info")).to_have_text("Вы проголосовали в этом опросе.")
        expect(frame.locator("#poll .result.own")).to_contain_text(OPTIONS[1])
        expect(frame.locator("body")).to_have_attribute("data-reader", "known")
        assert len(own_screens) == reload
    # Every screen of the voter's own came from the app, never from the cache.
    assert own_screens == ["BYPASS", "BYPASS"]
    assert not shared_cookies
