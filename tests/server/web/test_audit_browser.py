"""The audit log's page in Chromium: an administrator opens it from the administration page,
sees the officers' and administrators' entries of the morning, filters by action, switches to
English, and downloads the CSV; a wrong day is said beside its field. Both languages of the
page's words say the same keys.

The page is checked to fit a laptop's width and saved to the test's temporary folder, and to
``$QMS_SCREENSHOT_DIR`` when set; docs/images/audit-log.png is made with

    QMS_SCREENSHOT_DIR=docs/images .venv/bin/python -m pytest \
        tests/server/web/test_audit_browser.py
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from playwright.async_api import Browser, Page
from support.servers import COUNTER_TOKEN, KIOSK_TOKEN, PASSWORD, SITE
from support.web import admin_page

from server.app.serve import RunningServer
from server.audit.texts import AUDIT_TEXTS
from server.protocol.client import ProtocolClient
from server.web.texts import Language

WAIT_MS = 15_000


async def shot(page: Page, folder: Path, name: str) -> None:
    image = folder / name
    await page.screenshot(path=str(image), full_page=True)
    target = os.environ.get("QMS_SCREENSHOT_DIR")
    if target:
        shutil.copy(image, Path(target) / name)


def test_both_languages_say_every_word() -> None:
    assert set(AUDIT_TEXTS[Language.VIETNAMESE]) == set(AUDIT_TEXTS[Language.ENGLISH])


async def test_an_administrator_reads_filters_and_downloads_the_log(
    browser: Browser, server: RunningServer, tmp_path: Path
) -> None:
    async with ProtocolClient(server.ws_url, "kiosk", KIOSK_TOKEN, SITE) as kiosk:
        for index in range(3):
            await kiosk.request("issue", service="DD-NOP", request_key=f"k{index}")
    async with ProtocolClient(server.ws_url, "counter", COUNTER_TOKEN, SITE) as counter:
        await counter.request("login", counter="1", user="lan", password=PASSWORD)
        for _ in range(2):
            await counter.request("call_next")
        await counter.request("start")
        await counter.request("finish", case_code="000.00.12.H42-261123-0007")
        await counter.request("pause", reason="Họp giao ban")
    page, problems = await admin_page(browser, server.http_url, f"/admin/site/{SITE}")
    page.set_default_timeout(WAIT_MS)
    await page.click("#audit-link")
    await page.wait_for_url("**/manage/audit")
    rows = page.locator("#audit-list tbody tr")
    actions = [await rows.nth(index).get_attribute("data-action")
               for index in range(await rows.count())]
    assert actions == ["counter.pause", "ticket.finish", "ticket.start", "ticket.call_next",
                       "ticket.call_next", "counter.login"]
    assert "lan" in await rows.first.inner_text()
    assert await page.evaluate("() => document.documentElement.scrollWidth") <= 1366
    await shot(page, tmp_path, "audit-log.png")

    await page.select_option("#au-action", "ticket.call_next")
    await page.click("#audit-filters button[type=submit]")
    await page.wait_for_url("**action=ticket.call_next**")
    assert await rows.count() == 2
    async with page.expect_download() as waiting:
        await page.click("#audit-download")
    download = await waiting.value
    saved = tmp_path / download.suggested_filename
    await download.save_as(saved)
    text = saved.read_text("utf-8")
    assert text.startswith("\ufeff") and text.count("ticket.call_next") == 2
    assert PASSWORD not in text and COUNTER_TOKEN not in text

    assert problems == []
    # A day that is not one (typed into the address): said beside its field, in English.
    await page.goto(f"{server.http_url}/manage/audit?from=2026-02-30&lang=en")
    assert "is not a day" in await page.inner_text("[data-field=from] .error")
    assert await page.locator("html").get_attribute("lang") == "en"
