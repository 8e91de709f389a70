"""The web display served at /display, in real headless Chromium (Debian's, driven by
Playwright): a call shows large and flashing, the zone filter, waiting counts, the lost
connection and the reconnect, the refusal and empty screens at 1280x720 and 1920x1080, and
that every request stays on the QMS server."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from hanging_proxy import HangingProxy
from playwright.async_api import Browser, Page
from support.chromium import CHROMIUM
from support.servers import DISPLAY_TOKEN, SITE

from display import texts
from server.app.serve import RunningServer, start_server
from server.config import Settings
from server.protocol.client import ProtocolClient

WEB = Path(__file__).resolve().parents[2] / "display" / "web"

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="Debian's chromium is not at /usr/bin/chromium (apt-get install chromium; CI has it)")

Connect = Callable[..., Any]


async def open_page(browser: Browser, http_url: str, query: str,
                    connected: bool = True) -> tuple[Page, list[str]]:
    """The display page at 1920x1080, connected (unless not ``connected``), fonts loaded; and
    the URLs it requested."""
    page = await browser.new_page(viewport={"width": 1920, "height": 1080})
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    await page.goto(f"{http_url}/display?{query}")
    # Waits pass functions: the server's Content-Security-Policy bars the eval() that a bare
    # expression would be run with.
    await page.wait_for_function("() => window.qmsDisplay && window.qmsDisplay.fontsLoaded"
                                 + (" && window.qmsDisplay.status === 'connected'"
                                    if connected else ""), timeout=10_000)
    assert errors == []
    return page, requested


async def text_of(page: Page, element_id: str) -> str:
    return str(await page.eval_on_selector(f"#{element_id}", "element => element.textContent"))


async def test_a_call_shows_large_flashing_and_listed(
    server: RunningServer, connect: Connect, browser: Browser, tmp_path: Path
) -> None:
    """How fast is measured by bench/display_bench.py --part web (medians, p99), not here: a
    wall-clock bound in a test fails on a loaded machine without anything being wrong."""
    page, requested = await open_page(browser, server.http_url,
                                      f"zone=T1&site={SITE}&token={DISPLAY_TOKEN}")
    admin: ProtocolClient = await connect("admin")
    await admin.request("login", counter="3", as_counter="3")
    issued = await admin.request("issue", service="HT", request_key="web-1")
    number = issued["ticket"]["number"]
    await admin.request("call_next", as_counter="3")
    await page.wait_for_function(
        "number => document.getElementById('now-number').textContent === number", arg=number,
        timeout=10_000)
    assert await page.eval_on_selector("#now", "element => element.classList.contains('flash')")
    assert await text_of(page, "now-counter") == "3"
    assert (await text_of(page, "recent")).startswith(number)
    card = await page.eval_on_selector('.card[data-counter="3"] .card-number',
                                       "element => element.textContent")
    assert card == number
    number_size = await page.eval_on_selector(
        "#now-number", "element => parseFloat(element.style.fontSize)")
    assert number_size >= 200
    counter_size = await page.eval_on_selector("#counters",
                                               "element => parseFloat(element.dataset.numberSize)")
    assert counter_size >= 80
    await page.screenshot(path=str(tmp_path / "display-web.png"))
    assert (tmp_path / "display-web.png").stat().st_size > 10_000
    # Every asset came from the QMS server itself.
    own = urlsplit(server.http_url).netloc
    assert requested and all(urlsplit(url).netloc == own or url.startswith("data:")
                             for url in requested), requested


async def test_zone_filter_and_waiting_counts(
    server: RunningServer, connect: Connect, browser: Browser
) -> None:
    page, _ = await open_page(browser, server.http_url,
                              f"zone=T1&site={SITE}&token={DISPLAY_TOKEN}")
    cards = await page.eval_on_selector_all(".card", "cards => cards.map(c => c.dataset.counter)")
    assert cards == ["1", "2", "3"]
    admin: ProtocolClient = await connect("admin")
    for key in ("w-1", "w-2"):
        await admin.request("issue", service="HT", request_key=key)
    await page.wait_for_function(
        "() => { const row = document.querySelector('#waiting li[data-service=\"HT\"] .count');"
        " return row && row.textContent === '2'; }", timeout=2000)
    page_elsewhere, _ = await open_page(browser, server.http_url,
                                        f"zone=T9&site={SITE}&token={DISPLAY_TOKEN}")
    await page_elsewhere.wait_for_selector("#banner.shown.zone", timeout=2000)
    assert (await text_of(page_elsewhere, "banner-big")).startswith(texts.UNKNOWN_ZONE.vietnamese)


async def test_lost_connection_then_reconnect(
    settings: Settings, database_path: Path, browser: Browser
) -> None:
    url = f"sqlite:///{database_path}"
    running = await start_server(settings, host="127.0.0.1", port=0, database_url=url)
    port = running.port
    page, _ = await open_page(browser, running.http_url,
                              f"zone=T1&site={SITE}&token={DISPLAY_TOKEN}&stale_after=0.5")
    await running.stop()
    await page.wait_for_selector("#banner.shown.lost", timeout=5000)
    assert await text_of(page, "banner-big") == texts.CONNECTION_LOST.vietnamese
    assert await page.eval_on_selector("#stage", "element => element.classList.contains('stale')")
    running = await start_server(settings, host="127.0.0.1", port=port, database_url=url)
    try:
        await page.wait_for_function("() => window.qmsDisplay.status === 'connected'", timeout=5000)
        await page.wait_for_selector("#banner:not(.shown)", state="attached", timeout=2000)
        async with ProtocolClient(running.ws_url, "admin", "admin-token-00001", SITE) as admin:
            await admin.request("login", counter="2", as_counter="2")
            issued = await admin.request("issue", service="HT", request_key="again")
            await admin.request("call_next", as_counter="2")
        await page.wait_for_function(
            "number => document.getElementById('now-number').textContent === number",
            arg=issued["ticket"]["number"], timeout=2000)
    finally:
        await running.stop()


def test_page_and_script_say_what_the_qt_display_says() -> None:
    page = (WEB / "index.html").read_text(encoding="utf-8")
    script = (WEB / "assets" / "display.js").read_text(encoding="utf-8")
    for label in (texts.NOW_CALLING, texts.RECENT_CALLS, texts.WAITING):
        assert label.vietnamese in page and label.english in page
    for label in (texts.CONNECTION_LOST, texts.RECONNECTING, texts.CONNECTING,
                  texts.UNKNOWN_ZONE, texts.NOBODY_WAITING, texts.REFUSED, texts.REFUSED_HELP,
                  texts.NO_CALLS_YET, texts.TAKE_A_TICKET, texts.NO_RECENT_CALLS,
                  texts.NO_COUNTERS, texts.NOT_YET_KNOWN, texts.WELCOME, texts.COUNTERS,
                  texts.ENABLE_SOUND):
        assert f'["{label.vietnamese}", "{label.english}"]' in script
    # No outside fonts or scripts: every URL in the page and style sheet is local. Nothing
    # inline either (the pages' Content-Security-Policy would refuse it): no <script> body, no
    # style="..." and no on...= handler in the page.
    style = (WEB / "assets" / "display.css").read_text(encoding="utf-8")
    voice = (WEB / "assets" / "voice.js").read_text(encoding="utf-8")
    for source in (page, style, script, voice):
        assert not re.search(r"https?://", source), "an outside URL"
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page)
    assert not re.search(r"\s(style|on[a-z]+)\s*=", page)
    assert (WEB / "assets" / "fonts" / "DejaVu-LICENSE.txt").is_file()


async def test_page_needs_no_polling(server: RunningServer, browser: Browser) -> None:
    """Nothing but the WebSocket after load: no HTTP requests while it runs."""
    page, requested = await open_page(browser, server.http_url,
                                      f"site={SITE}&token={DISPLAY_TOKEN}")
    count = len(requested)
    for _ in range(2):  # two ticks of the page's own clock: still no request
        shown = await text_of(page, "clock")
        await page.wait_for_function(
            "shown => document.getElementById('clock').textContent !== shown", arg=shown,
            timeout=3000)
    assert len(requested) == count


@pytest.mark.parametrize("query", ["token=not-a-display-token",
                                   f"site={SITE}&token=not-a-display-token",
                                   f"site=no-such-site&token={DISPLAY_TOKEN}", "zone=T1"])
async def test_refused_token_or_wrong_site_is_said_on_screen(
    server: RunningServer, browser: Browser, query: str
) -> None:
    page, _ = await open_page(browser, server.http_url, query, connected=False)
    await page.wait_for_selector("#banner.shown.refused", timeout=5000)
    assert await text_of(page, "banner-big") == texts.REFUSED.vietnamese
    assert await text_of(page, "banner-line1") == texts.REFUSED_HELP.vietnamese
    assert texts.REFUSED_HELP.english in await text_of(page, "banner-line2")
    assert await page.evaluate("window.qmsDisplay.status") == "refused"
    assert "unauthorized" in await page.evaluate("window.qmsDisplay.error")


# What a screen with nothing (or nothing known) to show has in it, measured in the page: each
# line's overflow (scrollWidth - clientWidth: above 0 when the text runs past its box), whether
# it lies inside the box it belongs to, and what else shows in the newest call's panel.
EMPTY_SCREEN = """() => {
  const inside = (element, box) => {
    const a = element.getBoundingClientRect(), b = box.getBoundingClientRect();
    return a.left >= b.left && a.right <= b.right && a.top >= b.top && a.bottom <= b.bottom;
  };
  const line = (element, box) => ({text: element.textContent,
                                   overflow: element.scrollWidth - element.clientWidth,
                                   inside: inside(element, box)});
  const shown = element => {
    for (let e = element; e; e = e.parentElement) {
      const style = getComputedStyle(e);
      if (style.display === 'none' || style.visibility === 'hidden') { return false; }
    }
    return element.textContent.trim() !== '';
  };
  const banner = document.getElementById('banner');
  const now = document.getElementById('now');
  const stage = document.getElementById('stage');
  return {
    banner: getComputedStyle(banner).display === 'none' ? null : {
      background: getComputedStyle(banner).backgroundColor,
      lines: ['banner-big', 'banner-line1', 'banner-line2']
        .map(id => line(document.getElementById(id), banner))},
    nowEmpty: ['now-empty-vi', 'now-empty-en', 'now-hint-vi', 'now-hint-en']
      .map(id => document.getElementById(id)).filter(e => e && shown(e)).map(e => line(e, now)),
    besideBanner: [...now.querySelectorAll('#now > *')]
      .filter(e => e.id !== 'banner' && !e.classList.contains('title') && shown(e))
      .map(e => e.id),
    notes: [...document.querySelectorAll('.note span')].filter(shown)
      .map(e => line(e, stage)),
    notice: document.getElementById('notice').textContent,
  };
}"""


@pytest.mark.parametrize("size", [(1280, 720), (1920, 1080)])
async def test_the_refusal_screen_fits_and_nothing_else_shows_under_it(
    server: RunningServer, browser: Browser, size: tuple[int, int]
) -> None:
    page = await browser.new_page(viewport={"width": size[0], "height": size[1]})
    await page.goto(f"{server.http_url}/display?zone=T1&token=not-a-display-token")
    await page.wait_for_selector("#banner.shown.refused", timeout=5000)
    await page.wait_for_function("() => window.qmsDisplay.fontsLoaded", timeout=5000)
    screen = await page.evaluate(EMPTY_SCREEN)
    assert screen["banner"]["background"] == "rgb(183, 28, 28)"  # the red of the Qt display
    assert [line["text"] for line in screen["banner"]["lines"]] == [
        texts.REFUSED.vietnamese, texts.REFUSED_HELP.vietnamese,
        f"{texts.REFUSED.english} · {texts.REFUSED_HELP.english}"]
    for line in screen["banner"]["lines"]:  # whole, inside the red panel
        assert line["overflow"] <= 0 and line["inside"], line
    assert screen["besideBanner"] == []  # no grey placeholder bar under or beside it
    unknown = [texts.NOT_YET_KNOWN.vietnamese, texts.NOT_YET_KNOWN.english]
    assert [note["text"] for note in screen["notes"]] == unknown * 3  # counters, recent, waiting
    assert all(note["overflow"] <= 0 and note["inside"] for note in screen["notes"])
    assert screen["notice"] == f"{texts.WELCOME.vietnamese} · {texts.WELCOME.english}"


@pytest.mark.parametrize("size", [(1280, 720), (1920, 1080)])
async def test_before_the_first_call_the_page_says_so_in_words(
    server: RunningServer, browser: Browser, size: tuple[int, int]
) -> None:
    page = await browser.new_page(viewport={"width": size[0], "height": size[1]})
    await page.goto(f"{server.http_url}/display?zone=T1&token={DISPLAY_TOKEN}")
    await page.wait_for_function("() => window.qmsDisplay.fontsLoaded && "
                                 "window.qmsDisplay.status === 'connected'", timeout=10_000)
    screen = await page.evaluate(EMPTY_SCREEN)
    assert screen["banner"] is None
    assert [line["text"] for line in screen["nowEmpty"]] == [
        texts.NO_CALLS_YET.vietnamese, texts.NO_CALLS_YET.english,
        texts.TAKE_A_TICKET.vietnamese, texts.TAKE_A_TICKET.english]
    assert all(line["overflow"] <= 0 and line["inside"] for line in screen["nowEmpty"])
    assert screen["besideBanner"] == ["now-empty"]  # and no "—" placeholder
    assert [note["text"] for note in screen["notes"]] == [
        texts.NO_RECENT_CALLS.vietnamese, texts.NO_RECENT_CALLS.english]
    assert screen["notice"]  # the site's name, as the Qt display shows it


async def test_a_device_token_alone_finds_its_site(server: RunningServer,
                                                   browser: Browser) -> None:
    page, _ = await open_page(browser, server.http_url, f"zone=T1&token={DISPLAY_TOKEN}")
    assert await page.evaluate("window.qmsDisplay.board.site.code") == SITE


async def test_a_hung_server_is_shown_as_lost(
    server: RunningServer, browser: Browser, connect: Connect,
    proxy: Callable[[int], HangingProxy]
) -> None:
    """Through a proxy that stops forwarding: the page's resume probe gets no reply."""
    through = proxy(server.port)
    # The page itself comes through the proxy, so its WebSocket (to its own origin) does too.
    page, _ = await open_page(browser, through.http_url,
                              f"zone=T1&token={DISPLAY_TOKEN}"
                              "&ping_interval=0.5&ping_timeout=0.5&stale_after=0.5&open_timeout=1")
    # While the server answers, the probes keep the page connected.
    await page.wait_for_function("() => window.qmsDisplay.probes >= 2", timeout=5000)
    assert await page.evaluate("window.qmsDisplay.status") == "connected"
    through.hang()
    await page.wait_for_selector("#banner.shown.lost", timeout=5000)
    assert await page.evaluate("window.qmsDisplay.probeTimeouts") >= 1
    admin: ProtocolClient = await connect("admin")
    await admin.request("login", counter="3", as_counter="3")
    issued = await admin.request("issue", service="HT", request_key="hung-1")
    await admin.request("call_next", as_counter="3")
    through.resume()
    await page.wait_for_function(
        "number => document.getElementById('now-number').textContent === number",
        arg=issued["ticket"]["number"], timeout=5000)


async def test_a_recall_flashes_again(server: RunningServer, connect: Connect,
                                      browser: Browser) -> None:
    page, _ = await open_page(browser, server.http_url,
                              f"zone=T1&token={DISPLAY_TOKEN}&flash=0.6")
    admin: ProtocolClient = await connect("admin")
    await admin.request("login", counter="3", as_counter="3")
    issued = await admin.request("issue", service="HT", request_key="recall-1")
    number = issued["ticket"]["number"]
    await admin.request("call_next", as_counter="3")
    await page.wait_for_function(
        "number => document.getElementById('now-number').textContent === number", arg=number,
        timeout=2000)
    first = await page.evaluate("window.qmsDisplay.board.flashStarted")
    # The 0.6 s flash ends (the page repaints each second: the panel is no longer flashing) ...
    await page.wait_for_function(
        "() => !document.getElementById('now').classList.contains('flash')", timeout=5000)
    await admin.request("recall", as_counter="3")
    # ... and the recall lights it again, as a new flash of the same number.
    await page.wait_for_function(
        "() => document.getElementById('now').classList.contains('flash')", timeout=2000)
    board = await page.evaluate("({started: window.qmsDisplay.board.flashStarted,"
                                " kind: window.qmsDisplay.board.newestCall.kind,"
                                " recent: window.qmsDisplay.board.recent.map(c => c.number)})")
    assert board["started"] > first and board["kind"] == "recall"
    # The panel's animation runs anew (not the first one's, which has ended).
    animation = await page.evaluate(
        "(() => { const a = document.getElementById('now').getAnimations();"
        " return a.length ? {state: a[0].playState, at: a[0].currentTime} : null; })()")
    assert animation is not None and animation["state"] == "running"
    assert animation["at"] < 600
    assert board["recent"] == [number]  # listed once
    assert await text_of(page, "now-number") == number


async def test_after_a_reconnect_a_call_made_meanwhile_appears(
    settings: Settings, database_path: Path, browser: Browser
) -> None:
    url = f"sqlite:///{database_path}"
    running = await start_server(settings, host="127.0.0.1", port=0, database_url=url)
    port = running.port
    page, _ = await open_page(browser, running.http_url,
                              f"zone=T1&token={DISPLAY_TOKEN}&stale_after=0.5")
    async with ProtocolClient(running.ws_url, "admin", "admin-token-00001", SITE) as admin:
        await admin.request("login", counter="3", as_counter="3")
        before = (await admin.request("issue", service="HT", request_key="before"))["ticket"]
        await admin.request("call_next", as_counter="3")
    await page.wait_for_function(
        "number => document.getElementById('now-number').textContent === number",
        arg=before["number"], timeout=2000)
    await running.stop()
    await page.wait_for_selector("#banner.shown.lost", timeout=5000)
    # While the page is away, the same database gets a call through another port ...
    elsewhere = await start_server(settings, host="127.0.0.1", port=0, database_url=url)
    try:
        async with ProtocolClient(elsewhere.ws_url, "admin", "admin-token-00001", SITE) as admin:
            await admin.request("login", counter="2", as_counter="2")
            missed = (await admin.request("issue", service="HT", request_key="missed"))["ticket"]
            await admin.request("call_next", as_counter="2")
    finally:
        await elsewhere.stop()
    # ... and when the server is back where the page looks, it resumes and shows it.
    running = await start_server(settings, host="127.0.0.1", port=port, database_url=url)
    try:
        await page.wait_for_function(
            "number => document.getElementById('now-number').textContent === number",
            arg=missed["number"], timeout=15_000)
        await page.wait_for_selector("#banner:not(.shown)", state="attached", timeout=2000)
        recent = await page.evaluate("window.qmsDisplay.board.recent.map(c => c.number)")
        assert recent == [missed["number"], before["number"]]
        card = await page.eval_on_selector('.card[data-counter="2"] .card-number',
                                           "element => element.textContent")
        assert card == missed["number"]
        # A short outage: what was missed flashes, as it would have live.
        assert await page.eval_on_selector("#now", "e => e.classList.contains('flash')")
    finally:
        await running.stop()
