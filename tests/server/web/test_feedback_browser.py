"""Citizens' feedback in Chromium: the form on a phone (360x740) with scripts turned off, bad
input shown beside its field, sent, the code and its page; the English switch; the managers'
inbox on a laptop, an answer the citizen then sees; the QR poster, its code read back.

Each page is checked to fit its width and saved to the test's temporary folder, and to
``$QMS_SCREENSHOT_DIR`` when set; docs/images/feedback-*.png are made with

    QMS_SCREENSHOT_DIR=docs/images .venv/bin/python -m pytest \
        tests/server/web/test_feedback_browser.py
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
from datetime import timedelta
from pathlib import Path

import zxingcpp
from PIL import Image
from playwright.async_api import Browser, Page, ViewportSize
from support.clock import ManualClock
from support.servers import SITE
from support.web import OTHER_SITE, admin_page

from server.app.serve import RunningServer
from server.feedback.model import Category, State, Submission

WAIT_MS = 15_000
PHONE: ViewportSize = {"width": 360, "height": 740}


async def shot(page: Page, folder: Path, name: str, full_page: bool = True) -> Path:
    image = folder / name
    await page.screenshot(path=str(image), full_page=full_page)
    target = os.environ.get("QMS_SCREENSHOT_DIR")
    if target:
        shutil.copy(image, Path(target) / name)
    return image


async def fits(page: Page, width: int) -> None:
    assert await page.evaluate("() => document.documentElement.scrollWidth") <= width


def stored(database: Path) -> list[tuple[str, str, str | None]]:
    connection = sqlite3.connect(database)
    try:
        return list(connection.execute("SELECT site, text, contact FROM feedback ORDER BY id"))
    finally:
        connection.close()


async def test_a_citizen_sends_feedback_from_a_phone_without_scripts(
    browser: Browser, server: RunningServer, database_path: Path, tmp_path: Path
) -> None:
    context = await browser.new_context(viewport=PHONE, java_script_enabled=False,
                                        is_mobile=True, has_touch=True)
    page = await context.new_page()
    problems: list[str] = []
    # Bad input is answered 400, which the console notes; anything else is a problem.
    page.on("console", lambda message: problems.append(message.text)
            if message.type in ("error", "warning") and "status of 400" not in message.text
            else None)
    await page.goto(f"{server.http_url}/gop-y?site={SITE}")
    assert await page.inner_text(".top .centre") == \
        "Trung tâm Phục vụ hành chính công thử nghiệm"
    await fits(page, PHONE["width"])
    await shot(page, tmp_path, "feedback-form.png")

    # Sent empty, with a malformed contact: each problem beside its field, nothing stored.
    await page.fill("#contact", "0912 34")
    await page.click("#send")
    await page.wait_for_selector("#text-error", timeout=WAIT_MS)
    assert await page.inner_text("#category-error") == "Góp ý về: vui lòng chọn một mục."
    assert await page.inner_text("#text-error") == "Nội dung góp ý: vui lòng nhập nội dung."
    assert (await page.inner_text("#contact-error")).startswith(
        "Số điện thoại hoặc email: chưa đúng")
    assert await page.get_attribute("#text", "aria-invalid") == "true"
    assert await page.input_value("#contact") == "0912 34"
    assert stored(database_path) == []
    await fits(page, PHONE["width"])
    await shot(page, tmp_path, "feedback-form-errors.png")

    await page.check("input[name=category][value=waiting]")
    await page.fill("#text", "Sáng nay chờ gần 2 tiếng ở quầy đất đai, chỉ có 1 quầy mở.\n"
                             "Đề nghị mở thêm quầy vào buổi sáng thứ Hai.")
    await page.fill("#contact", "0912 345 678")
    await page.click("#send")
    await page.wait_for_selector("#reference-code", timeout=WAIT_MS)
    code = await page.inner_text("#reference-code")
    assert len(code) == 11 and code[5] == "-"
    assert await page.inner_text("#thanks h1") == "Cảm ơn quý khách đã góp ý!"
    assert await page.inner_text("#state") == "Mới tiếp nhận"
    assert await page.inner_text("#reference-link") == f"{server.http_url}/gop-y/{code}"
    assert stored(database_path) == [(SITE, "Sáng nay chờ gần 2 tiếng ở quầy đất đai, chỉ có "
                                            "1 quầy mở.\nĐề nghị mở thêm quầy vào buổi sáng "
                                            "thứ Hai.", "0912345678")]
    await fits(page, PHONE["width"])
    await shot(page, tmp_path, "feedback-thanks.png")

    # Later: the code typed into the lookup form brings the same page back.
    await page.goto(f"{server.http_url}/gop-y")
    await page.fill("#code", code.lower())
    await page.click(".lookup button")
    await page.wait_for_selector("#feedback-text", timeout=WAIT_MS)
    assert await page.inner_text("#state") == "Mới tiếp nhận"
    assert await page.locator("#thanks").count() == 0
    assert problems == [], problems
    await context.close()


async def test_the_form_in_english(
    browser: Browser, server: RunningServer, database_path: Path
) -> None:
    context = await browser.new_context(viewport=PHONE, java_script_enabled=False)
    page = await context.new_page()
    await page.goto(f"{server.http_url}/gop-y")
    await page.click("#switch-language")
    await page.wait_for_selector("html[lang=en]", timeout=WAIT_MS)
    assert await page.inner_text("h1") == "Feedback and suggestions"
    await page.select_option("#site", OTHER_SITE)
    await page.fill("#text", "x" * 10)
    await page.fill("#ticket", "Z999")
    await page.click("#send")
    await page.wait_for_selector("#ticket-error", timeout=WAIT_MS)
    assert await page.inner_text("#category-error") == \
        "Your feedback is about: please choose one."
    assert await page.inner_text("#ticket-error") == \
        "Ticket number: the centre issued no ticket Z999 in the last 7 days."
    assert await page.input_value("#site") == OTHER_SITE
    assert stored(database_path) == []
    await page.check("input[name=category][value=facilities]")
    await page.fill("#ticket", "")
    await page.click("#send")
    await page.wait_for_selector("#reference-code", timeout=WAIT_MS)
    assert await page.inner_text("#state") == "New"
    assert stored(database_path) == [(OTHER_SITE, "x" * 10, None)]
    await context.close()


async def seed(server: RunningServer, clock: ManualClock) -> None:
    """A morning's feedback at both sites, one of it answered, one in progress."""
    desk = server.service.feedback
    items = [
        (SITE, Category.WAITING, "Chờ hơn 1 tiếng ở quầy đất đai mà chỉ có một quầy mở.",
         "0912345678"),
        (SITE, Category.ATTITUDE, "Chị cán bộ ở quầy 2 hướng dẫn rất nhiệt tình, cảm ơn chị.",
         None),
        (OTHER_SITE, Category.FACILITIES, "Máy lạnh ở sảnh chờ không hoạt động.", None),
        (SITE, Category.PROCEDURE, "Đề nghị niêm yết rõ danh mục giấy tờ cần mang theo khi "
                                   "làm thủ tục đăng ký khai sinh cho con.",
         "phuhuynh@example.vn"),
        (SITE, Category.FACILITIES, "Bãi giữ xe máy chật, nên có mái che.", None),
        (SITE, Category.OTHER, "Cho tôi hỏi có làm việc sáng thứ Bảy không?", "0987654321"),
    ]
    for site, category, text, contact in items:
        clock.now += timedelta(minutes=17)
        await desk.submit(Submission(site, category, text, contact, None, "vi"), None)
    found = await desk.inbox([SITE], None, 1)
    by_text = {item.text[:10]: item for item in found.rows}
    await desk.change(by_text["Chị cán bộ"], State.ANSWERED,
                      "Trung tâm xin cảm ơn lời khen của quý khách.", "giamdoc")
    await desk.change(by_text["Bãi giữ xe"], State.IN_PROGRESS, None, "giamdoc")


async def test_the_inbox_on_a_laptop_and_an_answer_seen_by_the_citizen(
    browser: Browser, server: RunningServer, server_clock: ManualClock, tmp_path: Path
) -> None:
    await seed(server, server_clock)
    citizen_context = await browser.new_context(viewport=PHONE, java_script_enabled=False)
    citizen = await citizen_context.new_page()
    await citizen.goto(f"{server.http_url}/gop-y?site={SITE}")
    await citizen.check("input[name=category][value=waiting]")
    await citizen.fill("#text", "Số thứ tự trên màn hình gọi không khớp với loa.")
    await citizen.click("#send")
    await citizen.wait_for_selector("#reference-code", timeout=WAIT_MS)
    code = await citizen.inner_text("#reference-code")

    page, problems = await admin_page(browser, server.http_url, f"/manage/site/{SITE}",
                                      user="giamdoc", width=1366, height=768)
    count = page.locator("#feedback-count")
    assert await count.inner_text() == "4 góp ý mới"
    await count.click()
    await page.wait_for_selector("#feedback-list", timeout=WAIT_MS)
    assert await page.locator("#feedback-list tbody tr").count() == 4  # new ones, this site
    await page.select_option("#fb-state", "")
    await page.click(".fb-filters button")
    await page.wait_for_selector("#feedback-list", timeout=WAIT_MS)
    assert await page.locator("#feedback-list tbody tr").count() == 6
    first = page.locator("#feedback-list tbody tr").first
    assert "Số thứ tự trên màn hình" in await first.inner_text()  # newest first
    await fits(page, 1366)
    await shot(page, tmp_path, "feedback-inbox.png")

    await first.locator(".excerpt a").click()
    await page.wait_for_selector("#answer", timeout=WAIT_MS)
    await page.check("input[name=state][value=answered]")
    answer = ("Trung tâm đã kiểm tra và sửa lỗi đồng bộ giữa màn hình và loa gọi số. "
              "Xin cảm ơn quý khách đã phản ánh.")
    await page.fill("#answer", answer)
    await page.click("#save")
    await page.wait_for_selector("#saved", timeout=WAIT_MS)
    assert await page.get_attribute("#feedback", "data-state") == "answered"
    await shot(page, tmp_path, "feedback-answer.png")
    assert problems == [], problems

    await citizen.goto(f"{server.http_url}/gop-y/{code}")
    assert await citizen.inner_text("#state") == "Đã trả lời"
    assert await citizen.inner_text("#answer-text") == answer
    await fits(citizen, PHONE["width"])
    await shot(citizen, tmp_path, "feedback-answered.png")
    await citizen_context.close()


async def test_the_poster_prints_a_qr_code_of_the_form(
    browser: Browser, server: RunningServer, tmp_path: Path
) -> None:
    page, problems = await admin_page(browser, server.http_url,
                                      f"/admin/site/{SITE}/feedback-poster", width=794,
                                      height=1123)
    address = f"{server.http_url}/gop-y?site={SITE}"
    assert await page.inner_text("#poster-url") == address
    box = await page.locator("#poster-qr svg").bounding_box()
    assert box is not None and box["width"] >= 350
    await page.emulate_media(media="print")
    image = await shot(page, tmp_path, "feedback-poster.png")
    decoded = zxingcpp.read_barcodes(Image.open(image))
    assert [item.text for item in decoded] == [address]
    assert await page.locator(".bar").is_hidden()
    pdf = tmp_path / "poster.pdf"
    await page.pdf(path=str(pdf), format="A4")
    # One A4 sheet.
    assert len(re.findall(rb"/Type\s*/Page(?!s)", pdf.read_bytes())) == 1
    assert problems == [], problems
    # The address works: the form of that centre.
    await page.goto(address)
    assert await page.inner_text(".top .centre") == \
        "Trung tâm Phục vụ hành chính công thử nghiệm"
