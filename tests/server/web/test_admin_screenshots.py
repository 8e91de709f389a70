"""The administration pages as an administrator sees them, in Chromium at a laptop's size, on
the demo's provincial centre (its real lists: 40-odd procedures, 20 counters): every page
fits the width, has no script or policy error, and its image is saved to the test's
temporary folder, and to ``$QMS_SCREENSHOT_DIR`` when set; docs/images/admin-*.png are made
with

    QMS_SCREENSHOT_DIR=docs/images .venv/bin/python -m pytest \
        tests/server/web/test_admin_screenshots.py
"""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page
from support.clock import ManualClock
from support.web import MORNING

from server.app.serve import RunningServer, start_server
from server.config import load_settings

SITE = "hcc-tinh"
WIDTH, HEIGHT = 1366, 860


def keep(image: Path) -> None:
    target = os.environ.get("QMS_SCREENSHOT_DIR")
    if target:
        shutil.copy(image, Path(target) / image.name)


@pytest.fixture
async def demo_server(tmp_path: Path) -> AsyncIterator[RunningServer]:
    running = await start_server(load_settings(None), host="127.0.0.1", port=0,
                                 database_url=f"sqlite:///{tmp_path / 'demo.sqlite3'}",
                                 clock=ManualClock(MORNING))
    yield running
    await running.stop()


async def shot(page: Page, folder: Path, name: str, full_page: bool = True) -> None:
    assert await page.evaluate("() => document.documentElement.scrollWidth") <= WIDTH, name
    image = folder / f"admin-{name}.png"
    await page.screenshot(path=str(image), full_page=full_page)
    keep(image)


async def test_every_administration_page(browser: Browser, demo_server: RunningServer,
                                         tmp_path: Path) -> None:
    server = demo_server
    page = await browser.new_page(viewport={"width": WIDTH, "height": HEIGHT})
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("console", lambda message: problems.append(message.text)
            if message.type == "error" and "status of 400" not in message.text
            and "status of 409" not in message.text else None)
    await page.goto(f"{server.http_url}/manage/sign-in?next=/admin")
    await page.fill("#user", "quantri")
    await page.fill("#password", "demo1234")
    await page.click("button[type=submit]")
    # An administrator of one centre goes straight to it.
    await page.wait_for_url(f"**/admin/site/{SITE}")
    await shot(page, tmp_path, "site")
    await page.goto(f"{server.http_url}/admin/site/{SITE}/services")
    await shot(page, tmp_path, "services", full_page=False)

    # A new procedure with mistakes: each reason beside its input.
    await page.goto(f"{server.http_url}/admin/site/{SITE}/services/new")
    await page.fill("#field-code", "CT CHỮ KÝ")
    await page.fill("#field-name_vi", "Chứng thực chữ ký trong giấy tờ, văn bản")
    await page.select_option("#field-field", "TP")
    await page.fill("#field-numbers", "C###")
    await page.fill("#field-expected_minutes", "0")
    await page.fill("#field-served_by", "Q05, Q99")
    await page.click("form.admin-form button[type=submit]")
    await page.wait_for_selector(".field.invalid")
    assert await page.locator(".field.invalid").count() >= 3
    await shot(page, tmp_path, "service-errors")

    await page.goto(f"{server.http_url}/admin/site/{SITE}/counters/Q01")
    await shot(page, tmp_path, "counter")
    await page.goto(f"{server.http_url}/admin/site/{SITE}/officers")
    await shot(page, tmp_path, "officers", full_page=False)

    # A new device token, shown once.
    await page.goto(f"{server.http_url}/admin/site/{SITE}/tokens/new")
    await page.fill("#field-name", "Ki-ốt tầng 2")
    await page.select_option("#field-role", "kiosk")
    await page.fill("#field-printer", "tcp://192.168.10.41:9100")
    await page.fill("#field-paper_width", "80")
    await page.click("form.admin-form button[type=submit]")
    await page.wait_for_selector(".token")
    await shot(page, tmp_path, "token-made")
    await page.goto(f"{server.http_url}/admin/site/{SITE}/tokens")
    await shot(page, tmp_path, "tokens")

    # Revoking asks first, saying what it does.
    await page.goto(f"{server.http_url}/admin/site/{SITE}/tokens/Ki-ốt tầng 2")
    await page.click('form.danger-zone[action$="/delete"] button[type=submit]')
    await page.wait_for_selector("ul.impacts")
    await shot(page, tmp_path, "confirm")
    await page.click("form.confirm button[type=submit]")
    await page.wait_for_selector(".saved")

    await page.goto(f"{server.http_url}/admin/history")
    assert await page.locator("[data-version]").count() == 3
    await shot(page, tmp_path, "history")
    await page.goto(f"{server.http_url}/admin/history/2")
    await shot(page, tmp_path, "version")
    assert problems == []
