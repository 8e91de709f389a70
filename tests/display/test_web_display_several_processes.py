"""The web display with several server processes on one PostgreSQL database, in real
headless Chromium: a TV opened at a process that does not serve its site is answered
``moved`` and opens the display page of the process that does, connected there and showing
its calls. Skipped without PostgreSQL (``QMS_TEST_POSTGRES_URL``, set by ``.ci/run``)."""

from __future__ import annotations

import pytest
from playwright.async_api import Browser
from support.chromium import CHROMIUM
from support.server_processes import token, two_servers
from support.servers import PASSWORD

from server.protocol.client import ProtocolClient

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="Debian's chromium is not at /usr/bin/chromium (apt-get install chromium; CI has it)")



async def test_a_tv_opened_at_the_wrong_process_moves_to_the_right_one(
        browser: Browser) -> None:
    async with two_servers() as pair:
        first, second = pair.first, pair.second
        page = await browser.new_page(viewport={"width": 1280, "height": 720})
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        query = f"zone=T1&site=px-b&token={token('display', 'px-b')}"
        await page.goto(f"{first.http_url}/display?{query}")
        await page.wait_for_url(f"{second.http_url}/display?{query}", timeout=15_000)
        await page.wait_for_function(
            "() => window.qmsDisplay && window.qmsDisplay.status === 'connected'",
            timeout=15_000)
        async with ProtocolClient(second.ws_url, "kiosk", token("kiosk", "px-b"),
                                  "px-b") as kiosk:
            issued = await kiosk.request("issue", service="HT", request_key="tv")
        async with ProtocolClient(second.ws_url, "counter", token("counter", "px-b"),
                                  "px-b") as counter:
            await counter.request("login", counter="3", user="minh", password=PASSWORD)
            await counter.request("call_next")
        number = issued["ticket"]["number"]
        await page.wait_for_function(
            "number => document.getElementById('now-number').textContent === number",
            arg=number, timeout=15_000)
        assert errors == []
        await page.close()
