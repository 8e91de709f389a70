"""A running lobby display (the web page in real Chromium) follows the administration pages:
a counter renamed in the browser shows its new name without a reload, while the number it
is serving stays on its card."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from playwright.async_api import Browser
from support.servers import DISPLAY_TOKEN, SITE, site_config
from support.web import admin_page, with_accounts

from server.app.serve import RunningServer
from server.config import Settings, parse_settings

Connect = Callable[..., Any]
WAIT_MS = 10_000


@pytest.fixture
def settings() -> Settings:
    return parse_settings(with_accounts(site_config()))


async def test_a_counter_renamed_in_the_browser_shows_on_a_running_display(
        server: RunningServer, browser: Browser, connect: Connect) -> None:
    admin = await connect("admin")
    await admin.request("login", counter="2", as_counter="2")
    number = (await admin.request("issue", service="HT", request_key="r-1"))["ticket"]["number"]
    await admin.request("call_next", as_counter="2")

    display = await browser.new_page(viewport={"width": 1920, "height": 1080})
    await display.goto(f"{server.http_url}/display?zone=T1&site={SITE}&token={DISPLAY_TOKEN}")
    await display.wait_for_function(
        "() => window.qmsDisplay && window.qmsDisplay.status === 'connected'", timeout=WAIT_MS)
    await display.evaluate("() => { window.loadedOnce = true; }")
    card = display.locator('.card[data-counter="2"]')
    assert await card.locator(".card-name").inner_text() == "Quầy 2"
    assert await card.locator(".card-number").inner_text() == number

    page, problems = await admin_page(browser, server.http_url,
                                      f"/admin/site/{SITE}/counters/2")
    await page.fill("#field-name", "Một cửa Tư pháp")
    await page.click("form.admin-form button[type=submit]")
    await page.wait_for_selector(".saved")

    await display.wait_for_function(
        "() => document.querySelector('.card[data-counter=\"2\"] .card-name')"
        "?.textContent === 'Một cửa Tư pháp'", timeout=WAIT_MS)
    assert await display.evaluate("() => window.loadedOnce === true")  # not reloaded
    assert await card.locator(".card-number").inner_text() == number
    assert problems == []
