"""Bookings in the administration pages: a site starts taking bookings from the browser
(its /dat-lich page and the kiosks' snapshot follow without a restart), every wrong key is
refused beside its input in Vietnamese, and the age rule is set on its own page."""

from __future__ import annotations

import html
import re
from typing import Any

from support.servers import SITE
from support.web import WebClient, form_token

from server.app.serve import RunningServer


async def admin(server: RunningServer) -> WebClient:
    client = WebClient(server.http_url)
    answer = await client.sign_in(user="quantri", next_page="/admin")
    assert answer.status == 200, answer.body[:300]
    return client


def field_error(body: str, field: str) -> str:
    found = re.search(rf'data-field="{field}">.*?<span class="error"[^>]*>([^<]*)<', body, re.S)
    assert found, (field, body[:3000])
    return html.unescape(found.group(1))


async def save(client: WebClient, path: str, fields: dict[str, str]) -> Any:
    page = await client.get(path)
    assert page.status == 200, (path, page.status)
    return await client.post(path, {"csrf": form_token(page.body), **fields})


async def test_a_site_starts_taking_bookings_from_the_browser(
    server: RunningServer, connect: Any
) -> None:
    citizen = WebClient(server.http_url)
    assert (await citizen.get(f"/dat-lich/{SITE}")).status == 404
    kiosk = await connect("kiosk")
    client = await admin(server)
    home = await client.get(f"/admin/site/{SITE}")
    assert 'data-section="booking"' in home.body and "Đặt lịch, lấy số từ xa" in home.body
    saved = await save(client, f"/admin/site/{SITE}/booking", {
        "enabled": "1", "number_now": "0", "policy": "at_check_in", "services": "HT, DD-NOP",
        "capacity": "4", "per_person_per_day": "3"})
    assert "saved=2" in saved.url, saved.body[:800]
    site = next(item for item in server.service.configuration.document["sites"]
                if item["code"] == SITE)
    assert site["booking"] == {"enabled": True, "number_now": False, "policy": "at_check_in",
                               "services": ["HT", "DD-NOP"], "capacity": 4,
                               "per_person_per_day": 3}
    # Live: the kiosk is told, the pages open, and show what was set.
    await kiosk.next_event("config.changed")
    snapshot = (await kiosk.request("snapshot"))["state"]["site"]
    assert snapshot["booking"]["enabled"] is True
    procedures = await citizen.get(f"/dat-lich/{SITE}")
    assert procedures.status == 200 and f"/dat-lich/{SITE}/HT" in procedures.body
    assert f"/dat-lich/{SITE}/DD-TRA" not in procedures.body
    choose = await citizen.get(f"/dat-lich/{SITE}/HT")
    assert "còn 4<" in choose.body and "Lấy số ngay" not in choose.body
    page = await client.get(f"/admin/site/{SITE}/booking")
    assert 'value="HT, DD-NOP"' in page.body
    assert '<option value="at_check_in" selected>' in page.body


async def test_wrong_booking_keys_are_refused_beside_their_inputs(
    server: RunningServer
) -> None:
    client = await admin(server)
    path = f"/admin/site/{SITE}/booking"
    answer = await save(client, path, {"enabled": "1", "capacity": "0", "services": "KHAC"})
    assert answer.status == 400
    assert field_error(answer.body, "capacity") == "phải từ 1 trở lên (đang là 0)"
    answer = await save(client, path, {"enabled": "1", "services": "HT, KHAC"})
    assert field_error(answer.body, "services") == "không có thủ tục 'KHAC'"
    answer = await save(client, path, {"enabled": "1", "per_person_per_day": "1",
                                       "per_person_per_field_per_day": "2"})
    assert field_error(answer.body, "per_person_per_field_per_day") == (
        "2 nhiều hơn số lượt mỗi người mỗi ngày (1): không ai dùng hết được")
    answer = await save(client, path, {"enabled": "1", "slot_minutes": "nửa giờ"})
    assert "nửa giờ" in field_error(answer.body, "slot_minutes")
    assert server.service.configuration.version == 1  # nothing saved


async def test_the_age_rule_gives_the_priority_group(
    server: RunningServer, connect: Any
) -> None:
    client = await admin(server)
    path = f"/admin/site/{SITE}/age-priority"
    wrong = await save(client, path, {"group": "NCT", "age": "0"})
    assert field_error(wrong.body, "age") == "phải từ 1 trở lên (đang là 0)"
    saved = await save(client, path, {"group": "NCT", "age": "75"})
    assert "saved=2" in saved.url, saved.body[:800]
    kiosk = await connect("kiosk")
    assert kiosk.hello_result["state"]["site"]["priority_by_age"] == {"group": "NCT",
                                                                      "age": 75}
    old = await kiosk.request("issue", service="HT", request_key="old",
                              birth_date="1951-11-23")
    assert old["ticket"]["priority"] == "NCT"


async def test_the_booking_section_in_chromium(browser: Any, server: RunningServer,
                                               tmp_path: Any) -> None:
    import os
    import shutil
    from pathlib import Path

    from support.web import admin_page

    page, problems = await admin_page(browser, server.http_url,
                                      f"/admin/site/{SITE}/booking", height=900)
    await page.select_option("#field-enabled", "1")
    await page.fill("#field-capacity", "4")
    await page.fill("#field-services", "HT, KHAC")
    await page.click("button.primary")
    await page.wait_for_selector(".error", timeout=15_000)
    assert await page.inner_text("[data-field=services] .error") == "không có thủ tục 'KHAC'"
    image = Path(tmp_path) / "admin-booking.png"
    await page.screenshot(path=str(image), full_page=True)
    if os.environ.get("QMS_SCREENSHOT_DIR"):
        shutil.copy(image, Path(os.environ["QMS_SCREENSHOT_DIR"]) / image.name)
    assert [problem for problem in problems if "status of 400" not in problem] == []
