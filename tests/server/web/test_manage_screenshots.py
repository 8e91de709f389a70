"""The managers' pages as people see them, in Chromium: a busy hall's dashboard at 1920x1080
(the wallboard) and on a laptop, the province view, and a site of 70 counters and 60
services. Each checks the page fits and saves its image to the test's temporary folder, and
to ``$QMS_SCREENSHOT_DIR`` when set; docs/images/manage-*.png are made with

    QMS_SCREENSHOT_DIR=docs/images .venv/bin/python -m pytest \
        tests/server/web/test_manage_screenshots.py
"""

from __future__ import annotations

import contextlib
import os
import shutil
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, Page
from support.clock import ManualClock
from support.servers import SITE
from support.web import MANAGER_PASSWORD, MORNING, big_site

from server.app.serve import RunningServer, start_server
from server.config import parse_settings
from server.protocol.client import ProtocolClient, RequestFailed

WAIT_MS = 15_000


def keep(image: Path) -> None:
    target = os.environ.get("QMS_SCREENSHOT_DIR")
    if target:
        shutil.copy(image, Path(target) / image.name)


async def sign_in(browser: Browser, server: RunningServer, user: str, width: int,
                  height: int) -> Page:
    page = await browser.new_page(viewport={"width": width, "height": height})
    await page.goto(server.http_url + "/manage")
    await page.fill("#user", user)
    await page.fill("#password", MANAGER_PASSWORD)
    await page.click("button[type=submit]")
    await page.wait_for_selector(".live-state.live", timeout=WAIT_MS)
    return page


async def busy_morning(server: RunningServer, clock: ManualClock, site: str,
                       kiosk_token: str, services: list[str],
                       counters: list[str]) -> ProtocolClient:
    """Two hours of a morning: tickets for many services, most counters serving, one paused,
    some finished and rated, a printer low on paper; returns the kiosk, still connected
    (close it at the end)."""
    async with ProtocolClient(server.ws_url, "kiosk", kiosk_token, site) as kiosk, \
            ProtocolClient(server.ws_url, "admin", "admin-token-00001", site) as admin:
        for index in range(90):
            await kiosk.request("issue", service=services[index % len(services)],
                                request_key=str(uuid.uuid4()))
            clock.now += timedelta(seconds=50)
        for index, counter in enumerate(counters):
            await admin.request("login", counter=counter)
            try:
                called = await admin.request("call_next", as_counter=counter)
            except RequestFailed:  # nobody waits for this counter's services
                continue
            if index % 3 == 0:
                clock.now += timedelta(minutes=4)
                await admin.request("finish", as_counter=counter)
                await admin.request("rate", ticket_id=called["ticket"]["id"],
                                    score=1 if index == 3 else 4, as_counter=counter)
                with contextlib.suppress(RequestFailed):
                    await admin.request("call_next", as_counter=counter)
        with contextlib.suppress(RequestFailed):
            await admin.request("finish", as_counter=counters[-1])
        await admin.request("pause", as_counter=counters[-1], reason="Họp giao ban")
        clock.now += timedelta(minutes=20)
        await kiosk.request("device_status", device="kiosk-1/printer", kind="printer",
                            status="paper_near_end", message="Máy in sắp hết giấy")
    # The kiosk stays connected, as a real one is: its printer is not "silent".
    kiosk = ProtocolClient(server.ws_url, "kiosk", kiosk_token, site)
    await kiosk.connect()
    await kiosk.request("device_status", device="kiosk-1/printer", kind="printer",
                        status="paper_near_end", message="Máy in sắp hết giấy")
    return kiosk


async def test_a_busy_hall_on_the_wallboard_and_a_laptop(
    browser: Browser, server: RunningServer, server_clock: ManualClock, tmp_path: Path
) -> None:
    kiosk = await busy_morning(server, server_clock, SITE, "kiosk-token-0001",
                               ["HT", "DD-NOP", "DD-TRA"], ["1", "2", "3"])
    for width, height, name in ((1920, 1080, "manage-dashboard-1920x1080.png"),
                                (1366, 768, "manage-dashboard-1366x768.png")):
        page = await sign_in(browser, server, "giamdoc", width, height)
        assert await page.locator(".alert").count() >= 2  # the pause and the printer
        assert await page.evaluate("() => document.documentElement.scrollWidth") <= width
        image = tmp_path / name
        await page.screenshot(path=str(image), full_page=True)
        keep(image)
    province = await sign_in(browser, server, "tinh", 1920, 1080)
    image = tmp_path / "manage-province-1920x1080.png"
    await province.screenshot(path=str(image), full_page=True)
    keep(image)
    await kiosk.close()


@pytest.fixture
async def big_server(tmp_path: Path) -> AsyncIterator[tuple[RunningServer, ManualClock]]:
    clock = ManualClock(MORNING)
    running = await start_server(parse_settings(big_site()), host="127.0.0.1", port=0,
                                 database_url=f"sqlite:///{tmp_path / 'big.sqlite3'}",
                                 clock=clock)
    yield running, clock
    await running.stop()


async def test_a_site_of_70_counters_and_60_services(
    browser: Browser, big_server: Any, tmp_path: Path
) -> None:
    server, clock = big_server
    services = [f"S{index:02d}" for index in range(60)]
    counters = [f"Q{index:02d}" for index in range(1, 71)]
    kiosk = await busy_morning(server, clock, "hcc-lon", "big-kiosk-token-0001", services,
                               counters)
    page = await sign_in(browser, server, "giamdoc", 1920, 1080)
    assert await page.locator("[data-counter]").count() == 70
    assert await page.evaluate("() => document.documentElement.scrollWidth") <= 1920
    image = tmp_path / "manage-dashboard-70-counters.png"
    await page.screenshot(path=str(image), full_page=True)
    keep(image)
    await kiosk.close()
