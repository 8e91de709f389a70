"""The administration pages in real headless Chromium: a device token revoked in the browser
closes its kiosk's connection and is refused after; a form with bad input comes back with
each field's reason beside it and the values typed kept; a change that alters what people see
asks for confirmation first. Nothing the page's policy refuses (console clean)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from playwright.async_api import Browser
from support.servers import KIOSK_TOKEN, SITE
from support.web import admin_page

from server.app.serve import RunningServer
from server.protocol.client import ProtocolClient, RequestFailed

WAIT_MS = 10_000


async def test_a_token_revoked_in_the_browser_is_refused(
        server: RunningServer, browser: Browser, connect: Any) -> None:
    kiosk: ProtocolClient = await connect("kiosk")
    page, problems = await admin_page(browser, server.http_url, f"/admin/site/{SITE}/tokens")
    row = page.locator('tr[data-item="kiosk"]')
    assert await row.count() == 1
    assert KIOSK_TOKEN not in await page.content()  # tokens are shown once, when made
    await row.locator("a").click()
    await page.click('form.danger-zone[action$="/delete"] button[type=submit]')
    # Revoking cuts a device off: the page says so and asks first.
    impacts = await page.locator("ul.impacts").inner_text()
    assert impacts == "Thiết bị dùng mã 'kiosk' sẽ bị ngắt và không kết nối lại được.", impacts
    assert kiosk.close_code is None  # nothing done yet
    await page.click("form.confirm button[type=submit]")
    await page.wait_for_selector(".saved", timeout=WAIT_MS)
    assert await page.locator('tr[data-item="kiosk"]').count() == 0

    await asyncio.wait_for(kiosk.closed.wait(), WAIT_MS / 1000)
    assert kiosk.close_code == 1008
    again = ProtocolClient(server.ws_url, "kiosk", KIOSK_TOKEN, SITE)
    with pytest.raises(RequestFailed) as refused:
        await again.connect()
    assert refused.value.code == "unauthorized"
    await again.close()
    assert problems == []


async def test_bad_input_shows_each_field_and_its_reason(server: RunningServer,
                                                         browser: Browser) -> None:
    page, problems = await admin_page(browser, server.http_url,
                                      f"/admin/site/{SITE}/services/new")
    await page.fill("#field-code", "CÓ DẤU")
    await page.fill("#field-name_vi", "Thủ tục mới")
    await page.select_option("#field-field", "TP")
    await page.fill("#field-numbers", "C###")
    await page.fill("#field-daily_limit", "-5")
    await page.fill("#field-served_by", "3, 99")
    await page.click("form.admin-form button[type=submit]")
    await page.wait_for_selector(".field.invalid", timeout=WAIT_MS)
    reasons = {await field.get_attribute("data-field"): await field.locator(".error").inner_text()
               for field in await page.locator(".field.invalid").all()}
    assert set(reasons) == {"code", "daily_limit", "served_by"}, reasons
    assert "'CÓ DẤU' không phải là mã hợp lệ" in reasons["code"]
    assert reasons["daily_limit"] == "phải từ 1 trở lên (đang là -5)"
    assert reasons["served_by"] == "Không có quầy: 99."
    # What was typed is still there to correct.
    assert await page.input_value("#field-name_vi") == "Thủ tục mới"
    assert await page.input_value("#field-code") == "CÓ DẤU"
    # Corrected, it saves.
    await page.fill("#field-code", "MOI")
    await page.fill("#field-daily_limit", "50")
    await page.fill("#field-served_by", "3")
    await page.click("form.admin-form button[type=submit]")
    await page.wait_for_selector(".saved", timeout=WAIT_MS)
    assert await page.locator('tr[data-item="MOI"]').count() == 1
    # The form with errors came back as 400 (the browser notes it); nothing else went wrong.
    assert [problem for problem in problems if "status of 400" not in problem] == []
