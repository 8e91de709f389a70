"""The dashboard and the province view in real headless Chromium: signed in, kept live over
the WebSocket (a call shows without a reload), an alert when a wait passes its target, the
English switch, and nothing the page's policy refuses."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from playwright.async_api import Browser, Page
from support.clock import ManualClock
from support.servers import SITE
from support.web import MANAGER_PASSWORD, OTHER_SITE

from server.app.serve import RunningServer

WAIT_MS = 15_000


async def signed_in_page(browser: Browser, server: RunningServer, user: str = "giamdoc",
                         width: int = 1920, height: int = 1080) -> tuple[Page, list[str]]:
    page = await browser.new_page(viewport={"width": width, "height": height})
    problems: list[str] = []
    page.on("console", lambda message: problems.append(message.text)
            if message.type in ("error", "warning") else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    await page.goto(server.http_url + "/manage")
    await page.fill("#user", user)
    await page.fill("#password", MANAGER_PASSWORD)
    await page.click("button[type=submit]")
    await page.wait_for_selector(".live-state.live", timeout=WAIT_MS)
    return page, problems


async def test_a_call_shows_on_the_dashboard_without_a_reload(
    browser: Browser, server: RunningServer, connect: Any
) -> None:
    kiosk = await connect("kiosk")
    admin = await connect("admin")
    ticket = (await kiosk.request("issue", service="HT", request_key="a"))["ticket"]
    page, problems = await signed_in_page(browser, server)
    assert page.url.endswith(f"/manage/site/{SITE}")
    counter = page.locator('[data-counter="3"]')
    assert "Đóng" in await counter.inner_text()
    await page.evaluate("() => { window.loadedOnce = true; }")
    await admin.request("login", counter="3")
    await admin.request("call_next", as_counter="3")
    await page.wait_for_function(
        "() => document.querySelector('[data-counter=\"3\"] .number')?.textContent === "
        f"'{ticket['number']}'", timeout=WAIT_MS)
    assert await page.evaluate("() => window.loadedOnce === true")  # the same page, live
    assert "Đang mở" in await counter.inner_text()
    assert await page.inner_text("#total-waiting") == "0"
    assert problems == []


async def test_an_alert_appears_when_a_wait_passes_its_target(
    browser: Browser, server: RunningServer, connect: Any, server_clock: ManualClock
) -> None:
    kiosk = await connect("kiosk")
    await kiosk.request("issue", service="HT", request_key="a")
    page, _problems = await signed_in_page(browser, server)
    assert await page.locator(".alert").count() == 0
    # HT's target is 10 minutes (tests/support/web.py); the server's clock moves on, and the
    # next event of the site (another ticket) brings the dashboard up to date.
    server_clock.now += timedelta(minutes=11)
    await kiosk.request("issue", service="HT", request_key="b")
    alert = page.locator('.alert[data-kind="wait_over_target"][data-subject="HT"]')
    await alert.wait_for(timeout=WAIT_MS)
    assert "Đăng ký khai sinh: có người chờ quá 10 phút" in await alert.inner_text()
    assert await page.locator('tr.late[data-service="HT"]').count() == 1


async def test_the_english_switch_and_the_province_view(
    browser: Browser, server: RunningServer, connect: Any
) -> None:
    kiosk = await connect("kiosk")
    await kiosk.request("issue", service="HT", request_key="a")
    page, problems = await signed_in_page(browser, server, user="tinh")
    assert page.url.endswith("/manage/province")
    rows = page.locator("table.province tbody tr")
    assert await rows.count() == 2
    await page.click("text=English")
    await page.wait_for_selector("th >> text=Waiting")
    # Sorted by waiting, most first: the test site (one waiting) before the commune.
    await page.click("th >> text=Waiting")
    await page.wait_for_url("**/manage/province?sort=waiting&order=desc")
    assert await rows.first.get_attribute("data-site") == SITE
    await page.wait_for_selector(".live-state.live", timeout=WAIT_MS)
    # Live: a ticket at the commune makes its row count it.
    other = await connect("kiosk", token="xa-kiosk-token-0001", site=OTHER_SITE)
    await other.request("issue", service="HT", request_key="x")
    await page.wait_for_function(
        f"() => document.querySelector('tr[data-site=\"{OTHER_SITE}\"] td:nth-child(2)')"
        "?.textContent === '1'", timeout=WAIT_MS)
    await page.click(f'tr[data-site="{OTHER_SITE}"] a')
    await page.wait_for_url(f"**/manage/site/{OTHER_SITE}")
    assert "Test commune" in await page.inner_text("h1")
    assert problems == []


async def test_the_dashboard_reads_on_a_phone(browser: Browser, server: RunningServer) -> None:
    page, problems = await signed_in_page(browser, server, width=390, height=844)
    width = await page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 390  # nothing runs off the side of a phone
    assert problems == []
    await asyncio.sleep(0)  # the page stays open until the browser closes
