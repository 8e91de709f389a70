"""The administration pages as an administrator sees them, in Chromium at a laptop's size
(1366x768, the whole page where it is longer), on the demo's provincial centre (its real
lists: 40-odd procedures, 16 counters) and, for a province account, the ward's procedure with
hours of its own and a commune added and removed: every section's list and form, the opening
hours saved, the priority policy, a device token's profile, each page fitting the width with
no script or policy error and no English page showing a Vietnamese label. Each image is
saved to the test's temporary folder, and to ``$QMS_SCREENSHOT_DIR`` when set;
docs/images/admin-*.png are made with

    QMS_SCREENSHOT_DIR=docs/images .venv/bin/python -m pytest \
        tests/server/web/test_admin_screenshots.py
"""

from __future__ import annotations

import os
import re
import shutil
import unicodedata
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page
from support.clock import ManualClock
from support.web import MORNING

from server.app.serve import RunningServer, start_server
from server.config import load_settings

SITE = "hcc-tinh"
WARD = "ubnd-phuong-1"
WIDTH, HEIGHT = 1366, 768


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


# Letters only Vietnamese writes: an English page's labels, headings and tiles have none.
VIETNAMESE = re.compile("[ăâđêôơưĂÂĐÊÔƠƯ]|[\u0300-\u0323]|[àáảãạèéẻẽẹìíỉĩịòóỏõọùúủũụỳýỷỹỵ]",
                        re.IGNORECASE)
LABELS = ("form label, table.list th, .tile-title, .page-head h1, header nav a, "
          "button[type=submit]")


async def english_labels(page: Page, names: set[str]) -> list[str]:
    """The labels of the English page written in Vietnamese (but for the proper ``names``,
    such as the centre's English name, which keeps its province's)."""
    texts: list[str] = await page.locator(LABELS).all_inner_texts()
    return [text for text in texts if text not in names
            and VIETNAMESE.search(unicodedata.normalize("NFD", text))]


async def sign_in(browser: Browser, server: RunningServer, user: str,
                  problems: list[str]) -> Page:
    page = await browser.new_page(viewport={"width": WIDTH, "height": HEIGHT})
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("console", lambda message: problems.append(message.text)
            if message.type == "error" and "status of 400" not in message.text
            and "status of 409" not in message.text else None)
    await page.goto(f"{server.http_url}/manage/sign-in?next=/admin")
    await page.fill("#user", user)
    await page.fill("#password", "demo1234")
    await page.click("button[type=submit]")
    return page


WORKING_DAY = "07:00-11:30, 13:30-17:00"
HOLIDAYS = ("2027-01-01", "2027-02-04..2027-02-10", "2027-04-16", "2027-04-30", "2027-05-01",
            "2027-05-03", "2027-09-02..2027-09-03")


async def test_every_administration_page(browser: Browser, demo_server: RunningServer,
                                         tmp_path: Path) -> None:
    server = demo_server
    problems: list[str] = []
    page = await sign_in(browser, server, "quantri", problems)
    # An administrator of one centre goes straight to it.
    await page.wait_for_url(f"**/admin/site/{SITE}")
    await shot(page, tmp_path, "site")
    await page.goto(f"{server.http_url}/admin/site/{SITE}/site")
    await shot(page, tmp_path, "centre")

    # The centre's week, its holidays and a make-up Saturday, saved and read back.
    await page.goto(f"{server.http_url}/admin/site/{SITE}/opening-hours")
    for day in ("monday", "tuesday", "wednesday", "thursday", "friday"):
        await page.fill(f"#field-{day}", WORKING_DAY)
    await page.fill("#field-saturday", "07:30-11:30")
    await page.fill("#field-sunday", "nghỉ")
    await page.fill("#field-closed", "\n".join(HOLIDAYS))
    await page.fill("#field-exceptions", "2027-02-20: 07:00-11:30, 13:30-17:00")
    await page.fill("#field-comment", "Giờ làm việc năm 2027")
    await page.click("form.admin-form button[type=submit]")
    await page.wait_for_selector(".saved")
    assert await page.input_value("#field-sunday") == "nghỉ"
    assert await page.input_value("#field-closed") == "\n".join(HOLIDAYS)
    await shot(page, tmp_path, "opening-hours")

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

    # The criminal record certificate takes four of the five priority groups.
    await page.goto(f"{server.http_url}/admin/site/{SITE}/services/TP-LLTP")
    await page.check("#field-priority_groups-ticked")
    await page.uncheck('input[name="priority_groups.tre-em"]')
    await page.click("form.admin-form button[type=submit]")
    await page.wait_for_selector(".saved")
    await page.goto(f"{server.http_url}/admin/site/{SITE}/services/TP-LLTP")
    assert await page.is_checked("#field-priority_groups-ticked")
    await page.evaluate("document.querySelector('[data-field=priority_groups]')"
                        ".scrollIntoView({block: 'center'})")
    await shot(page, tmp_path, "service-priority", full_page=False)

    for slug in ("fields", "number-groups", "zones", "counters", "priority-groups",
                 "rating-scale"):
        await page.goto(f"{server.http_url}/admin/site/{SITE}/{slug}")
        assert await page.locator("table.list tbody tr").count() >= 2, slug
        await shot(page, tmp_path, slug, full_page=False)
    await page.goto(f"{server.http_url}/admin/site/{SITE}/counters/Q01")
    await shot(page, tmp_path, "counter")
    await page.goto(f"{server.http_url}/admin/site/{SITE}/priority-policy")
    assert await page.input_value("#field-kind") == "interleave"
    await shot(page, tmp_path, "priority-policy")
    await page.goto(f"{server.http_url}/admin/site/{SITE}/age-priority")
    await shot(page, tmp_path, "age-priority")
    await page.goto(f"{server.http_url}/admin/site/{SITE}/officers")
    await shot(page, tmp_path, "officers", full_page=False)
    await page.goto(f"{server.http_url}/admin/site/{SITE}/officers/nguyenvana")
    await shot(page, tmp_path, "officer")

    # A new device token, shown once.
    await page.goto(f"{server.http_url}/admin/site/{SITE}/tokens/new")
    await page.fill("#field-name", "Ki-ốt tầng 2")
    await page.select_option("#field-role", "kiosk")
    await page.select_option("#field-zone", index=1)
    await page.fill("#field-printer", "tcp://192.168.10.41:9100")
    await page.fill("#field-paper_width", "80")
    await page.click("form.admin-form button[type=submit]")
    await page.wait_for_selector(".token")
    await shot(page, tmp_path, "token-made")
    await page.goto(f"{server.http_url}/admin/site/{SITE}/tokens")
    await shot(page, tmp_path, "tokens")
    # Its profile, changed here for the device.
    await page.goto(f"{server.http_url}/admin/site/{SITE}/tokens/Ki-ốt tầng 2")
    assert await page.input_value("#field-printer") == "tcp://192.168.10.41:9100"
    await shot(page, tmp_path, "token")

    # Revoking asks first, saying what it does.
    await page.click('form.danger-zone[action$="/delete"] button[type=submit]')
    await page.wait_for_selector("ul.impacts")
    await shot(page, tmp_path, "confirm")
    await page.click("form.confirm button[type=submit]")
    await page.wait_for_selector(".saved")

    await page.goto(f"{server.http_url}/admin/history")
    assert await page.locator("[data-version]").count() == 5
    await shot(page, tmp_path, "history")
    await page.goto(f"{server.http_url}/admin/history/2")
    await shot(page, tmp_path, "version")

    # The English pages: every label in English.
    wrong: dict[str, list[str]] = {}
    names = {server.service.sites[SITE].settings.name_en}
    for path in ("", "/site", "/opening-hours", "/services", "/services/new", "/counters/Q01",
                 "/officers/nguyenvana", "/priority-policy", "/age-priority", "/booking",
                 "/rating-scale", "/tokens/new", "/devices"):
        await page.goto(f"{server.http_url}/admin/site/{SITE}{path}?lang=en")
        if found := await english_labels(page, names):
            wrong[path] = found
    assert wrong == {}
    await page.goto(f"{server.http_url}/admin/site/{SITE}/opening-hours?lang=en")
    await shot(page, tmp_path, "opening-hours-en")
    await page.goto(f"{server.http_url}/admin/site/{SITE}?lang=vi")
    assert problems == []


async def test_a_province_account_and_a_procedure_with_hours_of_its_own(
        browser: Browser, demo_server: RunningServer, tmp_path: Path) -> None:
    server = demo_server
    problems: list[str] = []
    page = await sign_in(browser, server, "sonoivu", problems)
    # A province account administers every centre: it chooses one first.
    await page.wait_for_url("**/admin")
    assert await page.locator("table.list tbody tr").count() == len(server.service.sites)
    await shot(page, tmp_path, "home")
    # The ward takes land files on working-day mornings only.
    await page.goto(f"{server.http_url}/admin/site/{WARD}/services/DD-NOP")
    assert await page.input_value("#field-monday") == "07:30-11:30"
    assert await page.input_value("#field-saturday") == "nghỉ"
    await shot(page, tmp_path, "service-hours")

    # A commune added from the home page, its page, then removed (asked first).
    await page.goto(f"{server.http_url}/admin/sites/new?lang=en")
    assert await english_labels(page, set()) == []
    await page.goto(f"{server.http_url}/admin?lang=vi")
    await page.click("#add-site")
    await page.fill("#field-code", "ubnd-xa-tan-lap")
    await page.fill("#field-name_vi", "UBND xã Tân Lập - Bộ phận Một cửa")
    await page.fill("#field-name_en", "Tan Lap commune one-stop unit")
    await page.fill("#field-comment", "Xã mới sáp nhập")
    await shot(page, tmp_path, "site-new")
    await page.click("form.admin-form button[type=submit]")
    await page.wait_for_selector("#site-added")
    await shot(page, tmp_path, "site-added")
    await page.click("#remove-site button[type=submit]")
    await page.wait_for_selector("ul.impacts")
    await shot(page, tmp_path, "site-remove")
    await page.click("form.confirm button[type=submit]")
    await page.wait_for_selector("#site-removed")
    assert "ubnd-xa-tan-lap" not in server.service.sites
    assert problems == []
