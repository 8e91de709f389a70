"""The ticket's status page, live, in real headless Chromium (Debian's, through Playwright) at
a phone's size (360x740, touch): opened from the QR's address, it follows the ticket without
reloading (people ahead dropping as others are called, the call with its counter, a chime
once alerts are on), says when the connection is lost, comes back when the server does (on
the same database), and still takes the rating once served. No console error. The pictures
go to the test's temporary folder, and to ``$QMS_SCREENSHOT_DIR`` when set;
docs/images/status-live-*.png are made with

    QMS_SCREENSHOT_DIR=docs/images .venv/bin/python -m pytest \\
        tests/server/app/test_status_page_live.py
"""

from __future__ import annotations

import os
import re
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, Page
from support.chromium import CHROMIUM
from support.clock import ManualClock
from support.servers import KIOSK_TOKEN, SITE

from server.app.serve import RunningServer, start_server
from server.config import Settings
from server.protocol.client import ProtocolClient

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="Debian's chromium is not at /usr/bin/chromium (apt-get install chromium; CI has it)")

WAIT_MS = 15_000
# The back-off between attempts grows to 30 s; the server is back within a few.
RECONNECT_MS = 45_000
PHONE: dict[str, Any] = {"viewport": {"width": 360, "height": 740}, "is_mobile": True,
                         "has_touch": True, "device_scale_factor": 2}
ADMIN_TOKEN = "admin-token-00001"


def keep(image: Path) -> None:
    target = os.environ.get("QMS_SCREENSHOT_DIR")
    if target:
        shutil.copy(image, Path(target) / image.name)


async def shot(page: Page, folder: Path, name: str) -> None:
    image = folder / f"status-live-{name}.png"
    await page.screenshot(path=str(image))
    assert image.stat().st_size > 10_000
    keep(image)


async def text(page: Page, selector: str) -> str:
    return str(await page.eval_on_selector(selector, "element => element.textContent"))


async def shown(page: Page, selector: str) -> bool:
    return bool(await page.eval_on_selector(
        selector, "element => !element.hidden && element.offsetParent !== null"))


async def until_text(page: Page, selector: str, expected: str, timeout: int = WAIT_MS) -> None:
    await page.wait_for_function(
        "([selector, expected]) => { const element = document.querySelector(selector);"
        " return element && !element.hidden && element.textContent === expected; }",
        arg=[selector, expected], timeout=timeout)


async def until_state(page: Page, state: str, timeout: int = WAIT_MS) -> None:
    await page.wait_for_function(
        "state => window.qmsStatus && window.qmsStatus.state === state", arg=state,
        timeout=timeout)


async def test_the_page_follows_the_ticket_live_on_a_phone(
    settings: Settings, database_path: Path, browser: Browser, tmp_path: Path
) -> None:
    url = f"sqlite:///{database_path}"
    running: RunningServer = await start_server(settings, host="127.0.0.1", port=0,
                                                database_url=url)
    port = running.port
    try:
        async with ProtocolClient(running.ws_url, "kiosk", KIOSK_TOKEN, SITE) as kiosk:
            for key in ("one", "two"):
                await kiosk.request("issue", service="HT", request_key=key)
            mine = (await kiosk.request("issue", service="HT", request_key="mine"))["ticket"]
        page = await browser.new_page(**PHONE)
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.on("console", lambda message: errors.append(message.text)
                if message.type == "error" else None)
        await page.goto(mine["track_url"])  # the QR's address, rating key and all
        await until_state(page, "live")
        # Set once; still there at the end means the page never reloaded.
        await page.evaluate("() => { window.neverReloaded = true; }")
        assert await text(page, ".number") == mine["number"]
        assert await text(page, "#status-vi") == "Đang chờ đến lượt"
        assert await text(page, "#ahead") == ("chưa có quầy mở cho thủ tục này / "
                                              "no counter open for this procedure yet")
        assert await text(page, "#waiting") == "3"
        assert await text(page, "#live-state-vi") == "Đang cập nhật trực tiếp"
        assert await shown(page, "#alerts")

        async with ProtocolClient(running.ws_url, "admin", ADMIN_TOKEN, SITE) as admin:
            # Counter 3 opens: two people ahead, a wait estimated.
            await admin.request("login", counter="3")
            await until_text(page, "#ahead", "2")
            assert await text(page, "#eta") == "khoảng 16 phút / about 16 min"
            await shot(page, tmp_path, "waiting")

            # The citizen turns alerts on: one touch, and the chime plays once to show it.
            await page.tap("#alerts")
            await page.wait_for_function("() => window.qmsStatus.chimes === 1")
            assert not await shown(page, "#alerts")
            assert await text(page, "#alerts-done") == "Đã bật âm báo / Alerts on"

            # The one ahead is called, then the next: the count drops, in place.
            await admin.request("call_next")
            await until_text(page, "#ahead", "1")
            assert await text(page, "#waiting") == "2"
            await admin.request("call_next")
            await until_text(page, "#ahead", "0")

            # My turn.
            await admin.request("call_next")
            await until_text(page, "#status-vi", "Mời quý khách đến quầy")
            assert await text(page, "#status-en") == "Please go to the counter"
            assert await text(page, "#counter") == "Quầy 3"
            assert not await shown(page, "#ahead")
            await page.wait_for_function("() => window.qmsStatus.chimes === 2")
            assert await page.evaluate("() => window.neverReloaded === true")
            await shot(page, tmp_path, "called")

        # The server goes: the page says so, and keeps trying.
        await running.stop()
        await until_text(page, "#live-state-vi", "Mất kết nối, đang kết nối lại…")
        assert await text(page, "#live-state-en") == "Connection lost, reconnecting…"
        assert await page.eval_on_selector("#live-state",
                                           "element => element.classList.contains('lost')")
        await shot(page, tmp_path, "lost")

        # Back on the same database and port: the page resumes where the ticket is now.
        running = await start_server(settings, host="127.0.0.1", port=port, database_url=url)
        await until_state(page, "live", RECONNECT_MS)
        assert await text(page, "#live-state-vi") == "Đang cập nhật trực tiếp"
        assert await text(page, "#counter") == "Quầy 3"
        async with ProtocolClient(running.ws_url, "admin", ADMIN_TOKEN, SITE) as admin:
            await admin.request("login", counter="3")
            await admin.request("recall")  # called again: a chime again
            await page.wait_for_function("() => window.qmsStatus.chimes === 3")
            await admin.request("finish")
        # Served: the rating form comes up, still without a reload, and the page lets go.
        await page.wait_for_selector("#rating:not([hidden]) button[name=score]",
                                     timeout=WAIT_MS)
        assert await text(page, "#status-vi") == "Đã hoàn thành"
        assert not await shown(page, "#live-state") and not await shown(page, "#counter")
        assert await page.evaluate("() => window.neverReloaded === true")
        await until_state(page, "finished")
        await shot(page, tmp_path, "served")
        # The rating form works as it always has: a post, and the thanks.
        await page.tap("#rating button[value='4']")
        await page.wait_for_selector("text=Cảm ơn quý khách đã đánh giá", timeout=WAIT_MS)
        # Only the browser's own words for the attempts while the server was away.
        refused = re.compile(r"WebSocket connection to 'ws://127\.0\.0\.1:\d+/ws' failed")
        assert [error for error in errors if not refused.search(error)] == []
    finally:
        await running.stop()


async def test_a_ticket_of_another_day_is_said_so(
    settings: Settings, database_path: Path, browser: Browser, tmp_path: Path
) -> None:
    clock = ManualClock(datetime(2026, 11, 22, 16, 50, tzinfo=UTC))  # 23:50 in Hà Nội
    running = await start_server(settings, host="127.0.0.1", port=0,
                                 database_url=f"sqlite:///{database_path}", clock=clock)
    try:
        async with ProtocolClient(running.ws_url, "kiosk", KIOSK_TOKEN, SITE) as kiosk:
            mine = (await kiosk.request("issue", service="HT", request_key="mine"))["ticket"]
        page = await browser.new_page(**PHONE)
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.on("console", lambda message: errors.append(message.text)
                if message.type == "error" else None)
        await page.goto(mine["track_url"])
        await until_state(page, "live")
        clock.now += timedelta(minutes=20)  # midnight passes: the ticket is yesterday's
        await running.service.sites[SITE].roll_over()
        await until_state(page, "gone")
        assert await text(page, "#live-state-vi") == ("Phiếu không còn theo dõi được: phiếu "
                                                      "chỉ có giá trị trong ngày cấp.")
        assert not await shown(page, "#alerts")
        await shot(page, tmp_path, "gone")
        assert errors == []
    finally:
        await running.stop()


async def test_without_scripts_the_page_reloads_itself(
    server: RunningServer, browser: Browser, connect: Any
) -> None:
    kiosk = await connect("kiosk")
    mine = (await kiosk.request("issue", service="HT", request_key="mine"))["ticket"]
    context = await browser.new_context(java_script_enabled=False, **PHONE)
    page = await context.new_page()
    await page.goto(mine["track_url"])
    refresh = await page.query_selector("noscript")
    assert refresh is not None
    assert 'http-equiv="refresh" content="20"' in await page.content()
    # The live parts stay out of sight: nothing there would work.
    assert not await page.is_visible("#alerts") and not await page.is_visible("#live-state")
    assert await page.is_visible("#ahead")
    await context.close()
