"""The web display reads calls out like the Qt display (voice=1), in real headless Chromium.

What the page played is read from the page itself (``window.qmsDisplay.voice``: each clip's
name when its Web Audio source ended, each announcement's start and end on the audio clock).
Chromium runs with ``--disable-audio-output``: the audio graph runs at real speed into a fake
output whatever sound server the machine has (a PulseAudio null sink stalled the audio clock).
The page is served under the server's strict Content-Security-Policy (checked to hold every
directive below), and no violation of it may occur.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.async_api import Browser, Page, Playwright, async_playwright
from support.chromium import CHROMIUM, CHROMIUM_ARGUMENTS
from support.servers import DISPLAY_TOKEN

from display import texts
from server.app.serve import RunningServer
from server.protocol.client import ProtocolClient

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="Debian's chromium is not at /usr/bin/chromium (apt-get install chromium; CI has it)")

Connect = Callable[..., Any]

STRICT_POLICY = ("default-src 'self'; script-src 'self'; style-src 'self'; "
                 "img-src 'self' data:; media-src 'self'; connect-src 'self'; "
                 "frame-ancestors 'none'")
# Service HT numbers A001, A002, ... and counter 3 is "Quầy 3": the clips the Qt display plays
# for these calls (tests/server/app/test_voice_routes.py checks the server says the same).
OPENING, TO_COUNTER_3 = "vi/xin_moi_cong_dan_co_so_thu_tu", ["vi/den_quay_so", "vi/ba"]
CALL_A001 = ["chime", OPENING, "vi/letter_a", "vi/mot", *TO_COUNTER_3]
RECALL_A001 = ["chime", "vi/nhac_lai", OPENING, "vi/letter_a", "vi/mot", *TO_COUNTER_3]
CALL_A002 = ["chime", OPENING, "vi/letter_a", "vi/hai", *TO_COUNTER_3]
AUDIO_WAIT_MS = 40_000  # two announcements of about 5 s each, on a loaded machine


async def launch(playwright: Playwright, *, gesture_needed: bool) -> Browser:
    arguments = [*CHROMIUM_ARGUMENTS, "--disable-audio-output"]
    if not gesture_needed:
        arguments.append("--autoplay-policy=no-user-gesture-required")
    return await playwright.chromium.launch(executable_path=str(CHROMIUM), args=arguments)


@pytest.fixture
async def playwright() -> AsyncIterator[Playwright]:
    async with async_playwright() as running:
        yield running


async def open_voice_page(browser: Browser, http_url: str) -> tuple[Page, list[str]]:
    """The page with voice=1 under the strict policy; the URLs it requested. Any policy
    violation or page error fails the test at the end (``check_clean``)."""
    page = await browser.new_page(viewport={"width": 1280, "height": 720})
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("console", lambda message: problems.append(message.text)
            if "Content Security Policy" in message.text else None)
    await page.add_init_script(
        "window.policyViolations = [];"
        "document.addEventListener('securitypolicyviolation', event =>"
        " window.policyViolations.push(event.violatedDirective + ' ' + event.blockedURI));")

    response = await page.goto(f"{http_url}/display?zone=T1&token={DISPLAY_TOKEN}&voice=1")
    # The server's own header (server/app/security_headers.py) holds every directive of the
    # strict policy. (Fulfilling the page from the test instead would make Chromium's local
    # network checks refuse the WebSocket to 127.0.0.1.)
    assert response is not None
    served = {part.strip() for part in
              response.headers.get("content-security-policy", "").split(";")}
    assert {part.strip() for part in STRICT_POLICY.split(";")} <= served
    # Waits pass functions: a bare expression would be run with eval(), which the policy bars.
    await page.wait_for_function("() => window.qmsDisplay && window.qmsDisplay.fontsLoaded"
                                 " && window.qmsDisplay.status === 'connected'", timeout=10_000)
    page.set_default_timeout(AUDIO_WAIT_MS)
    setattr(page, "qms_problems", problems)  # noqa: B010 - read back by check_clean
    return page, requested


async def check_clean(page: Page, requested: list[str], http_url: str) -> None:
    assert getattr(page, "qms_problems") == []  # noqa: B009
    assert await page.evaluate("window.policyViolations") == []
    own = urlsplit(http_url).netloc
    assert all(urlsplit(url).netloc == own or url.startswith("data:") for url in requested)
    clips = [url for url in requested if "/display/voice/clips/" in url]
    assert len(clips) == len(set(clips))  # each clip fetched once, then kept decoded


async def call(admin: ProtocolClient, key: str) -> str:
    issued = await admin.request("issue", service="HT", request_key=key)
    await admin.request("call_next", as_counter="3")
    number: str = issued["ticket"]["number"]
    return number


async def test_a_call_and_its_recall_are_read_whole_and_in_turn(
    server: RunningServer, connect: Connect, playwright: Playwright
) -> None:
    browser = await launch(playwright, gesture_needed=False)
    try:
        page, requested = await open_voice_page(browser, server.http_url)
        assert await page.evaluate("window.qmsDisplay.voice.locked") is False
        assert not await page.is_visible("#sound-prompt")  # nothing to ask
        admin: ProtocolClient = await connect("admin")
        await admin.request("login", counter="3", as_counter="3")
        assert await call(admin, "voice-1") == "A001"
        await admin.request("recall", as_counter="3")  # while the call is being read
        await page.wait_for_function("() => window.qmsDisplay.voice.finished >= 2")
        report = await page.evaluate("window.qmsDisplay.voice")
        assert report["played"] == CALL_A001 + RECALL_A001  # every clip, in order
        first, second = report["announcements"]
        assert (first["ticket"], first["counter"], first["kind"]) == ("A001", "3", "call")
        assert second["kind"] == "recall" and second["clips"] == RECALL_A001
        assert second["start"] >= first["end"]  # the recall waited: nothing was cut off
        assert first["end"] - first["start"] > 3.0  # really played, at the audio clock's pace
        assert (report["failed"], report["dropped"], report["skipped"]) == (0, 0, 0)
        await check_clean(page, requested, server.http_url)
    finally:
        await browser.close()


async def test_the_page_asks_once_for_a_key_press_then_reads_the_calls(
    server: RunningServer, connect: Connect, playwright: Playwright
) -> None:
    """A browser that plays sound only after a person pressed something (its autoplay
    policy): the page says so, and the first key press (a TV remote's OK) turns the voice on."""
    browser = await launch(playwright, gesture_needed=True)
    try:
        page, requested = await open_voice_page(browser, server.http_url)
        await page.wait_for_selector("#sound-prompt.shown")
        assert await page.text_content("#sound-prompt-vi") == f"♪ {texts.ENABLE_SOUND.vietnamese}"
        assert await page.text_content("#sound-prompt-en") == texts.ENABLE_SOUND.english
        admin: ProtocolClient = await connect("admin")
        await admin.request("login", counter="3", as_counter="3")
        first = await call(admin, "locked-1")
        await page.wait_for_function(
            "number => document.getElementById('now-number').textContent === number", arg=first)
        # Locked, the call is shown but not queued: no morning's backlog read out at noon.
        report = await page.evaluate("window.qmsDisplay.voice")
        assert (report["skipped"], report["started"], report["played"]) == (1, 0, [])
        await page.keyboard.press("Enter")
        await page.wait_for_selector("#sound-prompt", state="hidden")
        assert await page.evaluate("window.qmsDisplay.voice.state") == "running"
        assert await call(admin, "unlocked-1") == "A002"
        await page.wait_for_function("() => window.qmsDisplay.voice.finished >= 1")
        assert await page.evaluate("window.qmsDisplay.voice.played") == CALL_A002
        await check_clean(page, requested, server.http_url)
    finally:
        await browser.close()
