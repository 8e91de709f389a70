"""Booking in Chromium on a phone (360x740) with scripts turned off: a visit booked with a
CCCD number within the limits, then the limit's message past them; a number now taken with
a phone and its one-time code, then its live status page; every form (the choice, the
one-time code, "find my booking") refusing bad input with a Vietnamese message beside the
field; the English switch. Each page is checked to fit its width and saved to the test's
temporary folder, and to ``$QMS_SCREENSHOT_DIR`` when set; docs/images/booking-*.png are
made with

    QMS_SCREENSHOT_DIR=docs/images .venv/bin/python -m pytest \
        tests/server/web/test_booking_browser.py
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, Page, ViewportSize
from support.booking import CCCD, booking_config

from server.app.serve import RunningServer
from server.booking.sms import LogSender
from server.config import Settings, parse_settings

WAIT_MS = 15_000
PHONE: ViewportSize = {"width": 360, "height": 740}


@pytest.fixture
def settings() -> Settings:
    config = booking_config()
    site = config["sites"][0]
    site["opening_hours"] = {day: "07:30-11:30, 13:30-17:00" for day in (
        "monday", "tuesday", "wednesday", "thursday", "friday")}
    site["name_en"] = "Test public administration centre"
    for service in site["services"]:
        service["name_en"] = {"DD-NOP": "Land: submit a file", "DD-TRA": "Land: collect results",
                              "HT": "Birth registration"}[service["code"]]
    return parse_settings(config)


async def shot(page: Page, folder: Path, name: str, full_page: bool = True) -> Path:
    image = folder / name
    await page.screenshot(path=str(image), full_page=full_page)
    target = os.environ.get("QMS_SCREENSHOT_DIR")
    if target:
        shutil.copy(image, Path(target) / name)
    return image


async def fits(page: Page, width: int) -> None:
    assert await page.evaluate("() => document.documentElement.scrollWidth") <= width


def stored(database: Path) -> list[tuple[str, str, str]]:
    connection = sqlite3.connect(database)
    try:
        return list(connection.execute("SELECT service, kind, status FROM bookings ORDER BY id"))
    finally:
        connection.close()


async def phone_page(browser: Browser) -> tuple[Any, Page, list[str]]:
    context = await browser.new_context(viewport=PHONE, java_script_enabled=False,
                                        is_mobile=True, has_touch=True)
    page = await context.new_page()
    problems: list[str] = []
    # Bad input is answered 400 (409 for a limit), which the console notes.
    page.on("console", lambda message: problems.append(message.text)
            if message.type in ("error", "warning")
            and not re.search(r"status of 4(00|09|29)", message.text) else None)
    return context, page, problems


async def choose_procedure(page: Page, http_url: str, code: str) -> None:
    await page.goto(f"{http_url}/dat-lich")
    await page.wait_for_selector(f"#procedure-{code}", timeout=WAIT_MS)
    await page.click(f"#procedure-{code}")
    await page.wait_for_selector("#field-when", timeout=WAIT_MS)


async def test_a_visit_within_the_limits_then_the_limit(
    browser: Browser, server: RunningServer, database_path: Path, tmp_path: Path,
    connect: Any
) -> None:
    # A morning under way: two counters open, people waiting.
    kiosk = await connect("kiosk")
    for index in range(7):
        await kiosk.request("issue", service="HT" if index % 2 else "DD-NOP",
                            request_key=f"morning-{index}")
    admin = await connect("admin")
    await admin.request("login", counter="3", as_counter="3")
    context, page, problems = await phone_page(browser)
    await page.goto(f"{server.http_url}/dat-lich")
    await page.wait_for_selector("#procedure-HT", timeout=WAIT_MS)
    assert await page.inner_text("h1") == "Chọn lĩnh vực và thủ tục"
    await fits(page, PHONE["width"])
    await shot(page, tmp_path, "booking-procedures.png")
    await page.click("#procedure-HT")
    await page.wait_for_selector("#field-when", timeout=WAIT_MS)
    assert await page.inner_text("#procedure") == "Đăng ký khai sinh"
    assert "Đang có 3 người chờ trước" in await page.inner_text("#now-ahead")
    await fits(page, PHONE["width"])
    await shot(page, tmp_path, "booking-choose.png")

    # Sent with nothing chosen and a CCCD number of no province: each beside its field.
    await page.check("#by-cccd")
    await page.fill("#cccd", "003051012345")
    await page.click("#send")
    await page.wait_for_selector("#when-error", timeout=WAIT_MS)
    assert await page.inner_text("#when-error") == \
        "Thời gian: vui lòng chọn lấy số ngay hoặc một khung giờ."
    assert (await page.inner_text("#cccd-error")).startswith(
        "Số căn cước công dân: 3 số đầu không phải mã tỉnh")
    assert await page.get_attribute("#cccd", "aria-invalid") == "true"
    assert await page.input_value("#cccd") == "003051012345"
    assert stored(database_path) == []
    await fits(page, PHONE["width"])
    await shot(page, tmp_path, "booking-errors.png")

    # Tomorrow 09:00, with a good number: booked.
    await page.locator("nav.days a").nth(1).click()
    await page.wait_for_selector("#slots", timeout=WAIT_MS)
    await page.check("input[name=when][value='2026-11-24T09:00:00+07:00']")
    await page.check("#by-cccd")
    await page.fill("#cccd", CCCD)
    await page.click("#send")
    await page.wait_for_selector("#booking-code", timeout=WAIT_MS)
    assert await page.inner_text("#thanks h1") == "Đặt lịch thành công!"
    assert re.fullmatch(r"[A-Z2-9]{4}-[A-Z2-9]{4}", await page.inner_text("#booking-code"))
    assert await page.inner_text("#booking-time") == "09:00–09:30, thứ Ba 24/11/2026"
    assert await page.locator("#booking-qr svg").count() == 1
    await fits(page, PHONE["width"])
    await shot(page, tmp_path, "booking-done.png")

    # A second field the same day is within the limits; a third booking that day is not.
    await choose_procedure(page, server.http_url, "DD-NOP")
    await page.locator("nav.days a").nth(1).click()
    await page.wait_for_selector("#slots", timeout=WAIT_MS)
    await page.check("input[name=when][value='2026-11-24T10:00:00+07:00']")
    await page.check("#by-cccd")
    await page.fill("#cccd", CCCD)
    await page.click("#send")
    await page.wait_for_selector("#booking-code", timeout=WAIT_MS)
    await choose_procedure(page, server.http_url, "DD-TRA")
    await page.locator("nav.days a").nth(1).click()
    await page.wait_for_selector("#slots", timeout=WAIT_MS)
    await page.check("input[name=when][value='2026-11-24T14:00:00+07:00']")
    await page.check("#by-cccd")
    await page.fill("#cccd", CCCD)
    await page.click("#send")
    await page.wait_for_selector("#form-note", timeout=WAIT_MS)
    assert await page.inner_text("#form-note") == (
        "Mỗi người được đặt tối đa 2 lượt mỗi ngày; quý khách đã đủ 2 lượt cho ngày "
        "24/11/2026.")
    assert stored(database_path) == [("HT", "slot", "booked"), ("DD-NOP", "slot", "booked")]
    await fits(page, PHONE["width"])
    await shot(page, tmp_path, "booking-limit.png")
    assert problems == [], problems
    await context.close()


async def test_a_number_now_with_a_phone_and_its_one_time_code(
    browser: Browser, server: RunningServer, database_path: Path, tmp_path: Path
) -> None:
    sender = server.service.bookings.sender
    assert isinstance(sender, LogSender)
    context, page, problems = await phone_page(browser)
    await choose_procedure(page, server.http_url, "HT")
    await page.check("#choice-now input")
    await page.check("#by-phone")
    await page.fill("#phone", "0243 822 1234")
    await page.click("#send")
    await page.wait_for_selector("#phone-error", timeout=WAIT_MS)
    assert await page.inner_text("#phone-error") == (
        "Số điện thoại di động: là số máy bàn; vui lòng nhập số di động để nhận tin nhắn.")
    await page.fill("#phone", "0912 345 678")
    await page.click("#send")
    await page.wait_for_selector("#otp", timeout=WAIT_MS)
    assert "091****678" in await page.inner_text("#otp-sent")
    await fits(page, PHONE["width"])
    await shot(page, tmp_path, "booking-otp.png")
    code = re.search(r"\b(\d{6})\b", sender.sent[-1][1])
    assert code
    await page.fill("#otp", "12")
    await page.click("#confirm")
    await page.wait_for_selector("#otp-error", timeout=WAIT_MS)
    assert (await page.inner_text("#otp-error")).startswith("Mã xác nhận: không đúng")
    await page.fill("#otp", code.group(1))
    await page.click("#confirm")
    await page.wait_for_selector("#ticket-number", timeout=WAIT_MS)
    assert await page.inner_text("#thanks h1") == "Đã lấy số thành công!"
    assert await page.inner_text("#ticket-number") == "A001"
    assert stored(database_path) == [("HT", "now", "checked_in")]
    await fits(page, PHONE["width"])
    await shot(page, tmp_path, "booking-now.png")
    # Its live status page, the same as a kiosk ticket's.
    await page.click("#follow")
    await page.wait_for_selector(".number", timeout=WAIT_MS)
    assert await page.inner_text(".number") == "A001"
    assert problems == [], problems
    await context.close()


async def test_find_a_booking_and_the_english_switch(
    browser: Browser, server: RunningServer, tmp_path: Path
) -> None:
    context, page, problems = await phone_page(browser)
    await page.goto(f"{server.http_url}/dat-lich/tra-cuu")
    await page.fill("#code", "1234")
    await page.fill("#identity", "abc")
    await page.click("#find")
    await page.wait_for_selector("#code-error", timeout=WAIT_MS)
    assert await page.inner_text("#code-error") == \
        "Mã lịch hẹn: gồm 8 chữ cái và chữ số, ví dụ ABCD-2345."
    assert (await page.inner_text("#identity-error")).startswith(
        "Số điện thoại hoặc số căn cước: chưa đúng")
    await fits(page, PHONE["width"])

    await choose_procedure(page, server.http_url, "HT")
    await page.click("#switch-language")
    await page.wait_for_selector("html[lang=en]", timeout=WAIT_MS)
    assert await page.inner_text("#procedure") == "Birth registration"
    await page.click("#send")
    await page.wait_for_selector("#when-error", timeout=WAIT_MS)
    assert await page.inner_text("#when-error") == \
        "When: please choose a number now or a time."
    assert await page.inner_text("#by-error") == \
        "Who is booking: please choose a mobile number or an ID card number."
    await fits(page, PHONE["width"])
    await shot(page, tmp_path, "booking-choose-en.png")
    assert problems == [], problems
    await context.close()

