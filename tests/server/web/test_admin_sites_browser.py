"""A centre added and removed by a province account in real headless Chromium: added from
the administration's home, a kiosk token made for it on its page, a kiosk joining with that
token and taking a number without a restart; removing it refused while the kiosk is
connected and while the day has its ticket, then, the next day, asked first and done, the
kiosk's token refused after. No script or policy error."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.async_api import Browser
from support.clock import ManualClock
from support.web import admin_page

from server.app.serve import RunningServer
from server.protocol.client import ProtocolClient, RequestFailed

WAIT_MS = 10_000
NEW = "ubnd-phuong-an-hoa"


async def test_a_centre_added_takes_a_number_and_is_removed(
        server: RunningServer, browser: Browser, server_clock: ManualClock) -> None:
    page, problems = await admin_page(browser, server.http_url, "/admin", user="tinh")
    await page.click("#add-site")
    await page.wait_for_url("**/admin/sites/new")
    assert await page.input_value("#field-timezone") == "Asia/Ho_Chi_Minh"
    await page.fill("#field-code", NEW)
    await page.fill("#field-name_vi", "UBND phường An Hòa")
    await page.fill("#field-name_en", "An Hoa ward")
    await page.click("form.admin-form button[type=submit]")
    await page.wait_for_selector("#site-added", timeout=WAIT_MS)
    assert await page.locator(".page-head h1").inner_text() == "UBND phường An Hòa"
    assert NEW in server.service.sites

    # A kiosk token made on its page; the kiosk joins with it at once.
    await page.goto(f"{server.http_url}/admin/site/{NEW}/tokens/new")
    await page.fill("#field-name", "Ki-ốt sảnh")
    await page.select_option("#field-role", "kiosk")
    await page.click("form.admin-form button[type=submit]")
    token = await page.locator("#made-token").inner_text(timeout=WAIT_MS)
    kiosk = ProtocolClient(server.ws_url, "kiosk", token, NEW)
    await kiosk.connect()
    ticket = (await kiosk.request("issue", service="CHUNG", request_key="a"))["ticket"]
    assert ticket["number"] == "A001"

    # Not while its kiosk is connected, nor while the day has a ticket.
    await page.goto(f"{server.http_url}/admin/site/{NEW}")
    await page.click("#remove-site button[type=submit]")
    await page.wait_for_selector("#refusals", timeout=WAIT_MS)
    reasons = await page.locator("#refusals p").all_inner_texts()
    assert len(reasons) == 2 and "(Ki-ốt sảnh)" in reasons[1], reasons
    assert NEW in server.service.sites
    await kiosk.close()

    # The next day, nobody connected: asked first, then removed.
    server_clock.now += timedelta(days=1)
    await server.service.sites[NEW].roll_over()
    page, more = await admin_page(browser, server.http_url, f"/admin/site/{NEW}", user="tinh")
    await page.click("#remove-site button[type=submit]")
    impacts = await page.locator("ul.impacts li").all_inner_texts()
    assert impacts[0].startswith(f"Trung tâm {NEW} bị gỡ khỏi cấu hình"), impacts
    assert NEW in server.service.sites  # nothing done yet
    await page.click("form.confirm button[type=submit]")
    await page.wait_for_selector("#site-removed", timeout=WAIT_MS)
    assert await page.locator(f'tr[data-site="{NEW}"]').count() == 0
    assert NEW not in server.service.sites
    again = ProtocolClient(server.ws_url, "kiosk", token, NEW)
    with pytest.raises(RequestFailed) as refused:
        await again.connect()
    assert refused.value.code == "unauthorized"
    await again.close()
    # The refusal page came back as 409 (the browser notes it); nothing else went wrong.
    assert [problem for problem in problems + more if "status of 409" not in problem] == []
