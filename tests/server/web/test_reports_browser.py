"""The reports pages in real headless Chromium, on the demo's month of history: the form, the
figures, the charts and the table; a report that downloads as Excel and as CSV and reads back;
the printable monthly report (and its PDF); bad input said beside its field, a site the
account may not see refused; one file at a time per account. Screenshots go to the test's
folder, and to ``$QMS_SCREENSHOT_DIR`` when set (docs/images/report-*.png are made with it)."""

from __future__ import annotations

import asyncio
import csv
import io
import os
import shutil
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import openpyxl
import pytest
from playwright.async_api import Browser, Page
from support.clock import ManualClock
from support.web import WebClient

from server.app.serve import RunningServer, start_server
from server.config import load_settings
from server.demo_history import fill_history
from server.reports.request import ReportRequest

SITE = "hcc-tinh"
WARD = "ubnd-phuong-1"
PASSWORD = "demo1234"
# 08:00 on Friday 4 December 2026 in Hồ Chí Minh City: the history is the weekdays before.
NOW = datetime(2026, 12, 4, 1, 0, tzinfo=UTC)
NOVEMBER = f"site={SITE}&from=2026-11-01&to=2026-11-30&by=service"


def keep(image: Path) -> None:
    target = os.environ.get("QMS_SCREENSHOT_DIR")
    if target:
        shutil.copy(image, Path(target) / image.name)


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database holding the demo's month of history (made once, copied for each test)."""
    path = tmp_path_factory.mktemp("history") / "history.sqlite3"
    summary = fill_history(load_settings(None), f"sqlite:///{path}", NOW.date())
    assert summary is not None and summary.ticket_count > 5_000
    return path


@pytest.fixture
async def demo_server(history: Path, tmp_path: Path) -> AsyncIterator[RunningServer]:
    database = tmp_path / "qms.sqlite3"
    shutil.copy(history, database)
    running = await start_server(load_settings(None), host="127.0.0.1", port=0,
                                 database_url=f"sqlite:///{database}", clock=ManualClock(NOW))
    yield running
    await running.stop()


async def signed_in(browser: Browser, server: RunningServer, user: str = "giamdoc",
                    width: int = 1366, height: int = 900) -> tuple[Page, list[str]]:
    page = await browser.new_page(viewport={"width": width, "height": height},
                                  accept_downloads=True, locale="vi-VN")
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("console", lambda message: problems.append(message.text)
            if message.type == "error" and "status of 4" not in message.text else None)
    await page.goto(f"{server.http_url}/manage/sign-in?next=/manage/reports")
    await page.fill("#user", user)
    await page.fill("#password", PASSWORD)
    await page.click("button[type=submit]")
    await page.wait_for_url("**/manage/reports")
    return page, problems


async def test_a_month_of_one_centre_with_its_charts_and_table(
        browser: Browser, demo_server: RunningServer, tmp_path: Path) -> None:
    page, problems = await signed_in(browser, demo_server)
    # This month so far by default: 1-3 December, the weekdays before today.
    assert await page.input_value("#report-from") == "2026-12-01"
    assert await page.input_value("#report-to") == "2026-12-04"
    await page.fill("#report-from", "2026-11-01")
    await page.fill("#report-to", "2026-11-30")
    await page.select_option("#report-by", "service")
    await page.click(".report-form button[type=submit]")
    await page.wait_for_selector("#report-issued")
    issued = int((await page.inner_text("#report-issued")).replace(".", ""))
    assert issued > 3_000
    assert (await page.inner_text("#report-satisfaction")).endswith("%")
    assert await page.locator("figure.chart svg").count() == 3
    rows = page.locator("table.report-table tbody tr")
    assert await rows.count() >= 20  # the provincial centre's procedures with tickets
    total = await page.locator("table.report-table tfoot td").all_inner_texts()
    assert "Tổng cộng" in total
    assert await page.evaluate("() => document.documentElement.scrollWidth") <= 1366
    image = tmp_path / "report-page.png"
    await page.screenshot(path=str(image), full_page=True)
    keep(image)
    # The English switch keeps the report asked for, and says all of it in English.
    await page.click("a.lang")
    await page.wait_for_selector("text=Satisfaction rate (QĐ 766)")
    assert await page.input_value("#report-from") == "2026-11-01"
    headers = await page.locator("table.report-table thead th").all_inner_texts()
    assert headers[:8] == ["Service code", "Service", "Tickets issued", "Served", "No-shows",
                           "Cancelled", "In progress", "Transferred"]
    assert {"Wait: median (min)", "Service: 90% (min)", "Served within the target wait",
            "Very satisfied", "Dissatisfied", "Cases served",
            "Satisfaction rate (QĐ 766)"} <= set(headers)
    assert [header for header in headers if not english_only(header)] == []
    labels = await page.locator(".report-totals .label").all_inner_texts()
    assert labels == ["Tickets issued", "Served", "Waiting time (median)",
                      "Served within the target wait", "Satisfaction rate (QĐ 766)",
                      "Share rated"]
    assert await page.inner_text("#report-issued") == f"{issued:,}"
    titles = await page.locator("figure.chart svg > title").all_text_contents()
    assert titles == ["Arrivals and calls by hour", "Waiting-time distribution",
                      "Satisfaction by week (QĐ 766)"]
    drawn = await page.locator("figure.chart svg text, figure.chart svg rect > title") \
        .all_text_contents()
    assert [text for text in drawn if not english_only(text)] == []
    options = await page.locator("#report-by option").all_inner_texts()
    assert options == ["Service (procedure)", "Field", "Counter", "Officer", "Hour of day",
                       "Day", "Site"]
    centre = load_settings(None).site(SITE)
    assert centre is not None
    named = await page.locator("table.report-table tbody td:nth-child(2)").all_inner_texts()
    assert named[0] == (centre.services[0].name_en or centre.services[0].name_vi)
    total = await page.locator("table.report-table tfoot td").all_inner_texts()
    assert "Total" in total and "Tổng cộng" not in total
    image = tmp_path / "report-page-en.png"
    await page.screenshot(path=str(image), full_page=True)
    keep(image)
    # By day, the days are named in English too.
    await page.select_option("#report-by", "day")
    await page.click(".report-form button[type=submit]")
    await page.wait_for_selector("table.report-table td:text-is('Monday 09/11/2026')")
    assert (await page.locator("table.report-table thead th").all_inner_texts())[:2] == [
        "Date", "Day"]
    assert problems == []


def english_only(text: str) -> bool:
    """No Vietnamese letter in ``text`` but those of "QĐ 766" (a decision's name); signs
    (≥, dashes) are no language."""
    return text.replace("QĐ", "").translate({ord(sign): None for sign in "≥–—"}).isascii()


async def test_a_report_downloads_as_excel_and_csv(browser: Browser,
                                                   demo_server: RunningServer,
                                                   tmp_path: Path) -> None:
    page, problems = await signed_in(browser, demo_server)
    await page.goto(f"{demo_server.http_url}/manage/reports?{NOVEMBER}")
    issued = await page.inner_text("#report-issued")
    async with page.expect_download() as waiting:
        await page.click("#download-xlsx")
    download = await waiting.value
    assert download.suggested_filename == f"bao-cao-service-{SITE}-20261101-20261130.xlsx"
    workbook_path = tmp_path / download.suggested_filename
    await download.save_as(workbook_path)
    workbook = openpyxl.load_workbook(workbook_path, read_only=True)
    assert workbook.sheetnames[0] == "Tổng hợp"
    assert "Theo dịch vụ" in workbook.sheetnames
    workbook.close()

    async with page.expect_download() as waiting:
        await page.click("#download-csv")
    download = await waiting.value
    csv_path = tmp_path / download.suggested_filename
    await download.save_as(csv_path)
    rows = list(csv.reader(io.StringIO(csv_path.read_bytes().decode("utf-8-sig"))))
    assert rows[0][:2] == ["Mã dịch vụ", "Dịch vụ"]
    assert rows[-1][1] == "Tổng cộng"
    assert f"{int(rows[-1][2]):,}".replace(",", ".") == issued  # the page's own total
    # The file was sent and removed: nothing of it stays on the server.
    assert problems == []


async def test_the_printable_monthly_report(browser: Browser, demo_server: RunningServer,
                                            tmp_path: Path) -> None:
    page, problems = await signed_in(browser, demo_server, width=1100, height=1400)
    await page.goto(f"{demo_server.http_url}/manage/reports?{NOVEMBER}")
    await page.click("#monthly")
    await page.wait_for_selector("#monthly-table")
    text = await page.inner_text("main")
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in text
    assert "Tháng 11 năm 2026" in text
    assert "GIÁM ĐỐC" in text.upper()
    image = tmp_path / "report-monthly.png"
    await page.screenshot(path=str(image), full_page=True)
    keep(image)
    pdf = await page.pdf(format="A4", print_background=True)
    assert pdf.startswith(b"%PDF") and len(pdf) > 20_000
    (tmp_path / "report-monthly.pdf").write_bytes(pdf)
    # Month to month.
    await page.click("text=Tháng trước")
    await page.wait_for_selector("text=Tháng 10 năm 2026")
    # In English, the table and the charts too.
    await page.goto(f"{demo_server.http_url}/manage/reports/monthly?site={SITE}"
                    "&month=2026-11&lang=en")
    headers = await page.locator("#monthly-table thead th").all_inner_texts()
    assert headers == ["Service", "Tickets issued", "Served", "No-shows",
                       "Waiting time (median)", "Served within the target wait", "Ratings",
                       "Satisfaction rate (QĐ 766)"]
    assert (await page.locator("#monthly-table tfoot td").all_inner_texts())[0] == "Total"
    assert (await page.locator("#monthly-table tbody td").first.inner_text()).isascii()
    assert await page.locator("figure.chart svg > title").all_text_contents() == [
        "Arrivals and calls by hour", "Waiting-time distribution",
        "Satisfaction by week (QĐ 766)"]
    assert problems == []


async def test_bad_input_is_said_beside_its_field_and_other_sites_are_refused(
        demo_server: RunningServer) -> None:
    client = WebClient(demo_server.http_url)
    await client.sign_in(user="phuong1", password=PASSWORD, next_page="/manage/reports")
    backwards = await client.get("/manage/reports?from=2026-11-30&to=2026-11-01")
    assert backwards.status == 400
    assert 'data-field="to"' in backwards.body
    assert "trước ngày bắt đầu" in backwards.body
    not_a_day = await client.get("/manage/reports?from=30%2F02%2F2026&to=2026-11-01")
    assert not_a_day.status == 400 and "không phải là một ngày có thật" in not_a_day.body
    elsewhere = await client.get(f"/manage/reports?site={SITE}")
    assert elsewhere.status == 403
    assert "không được xem trung tâm" in elsewhere.body
    download = await client.get(f"/manage/reports/download?site={SITE}&format=xlsx")
    assert download.status == 403
    wrong_format = await client.get("/manage/reports/download?format=pdf")
    assert wrong_format.status == 400
    wrong_month = await client.get(f"/manage/reports/monthly?site={WARD}&month=2026-13")
    assert wrong_month.status == 400
    by_nothing = await client.get("/manage/reports?by=weather")
    assert by_nothing.status == 400 and 'data-field="by"' in by_nothing.body
    # Their own ward reports fine.
    own = await client.get(f"/manage/reports?site={WARD}&from=2026-11-01&to=2026-11-30")
    assert own.status == 200 and 'id="report-issued"' in own.body
    signed_out = WebClient(demo_server.http_url)
    assert "/manage/sign-in" in (await signed_out.get("/manage/reports")).url



async def test_one_file_at_a_time_per_account(demo_server: RunningServer,
                                              tmp_path: Path) -> None:
    """While an account's file is being made, its next download is refused (429, saying
    why, in Vietnamese or English); another account's is not; once the file is sent, the
    account may download again.

    The file stays "being made" for as long as the test wants: both of the reports' child
    processes are first given a job that reads a named pipe (it returns when the test closes
    the pipe's writing end), so the account's export waits its turn in the real pool, as it
    would behind two other large downloads. Each export the pages start is seen as it
    starts (the real one then runs)."""
    director = WebClient(demo_server.http_url)
    await director.sign_in(user="giamdoc", password=PASSWORD, next_page="/manage")
    ward = WebClient(demo_server.http_url)
    await ward.sign_in(user="phuong1", password=PASSWORD, next_page="/manage")
    reports = demo_server.service.reports
    started: asyncio.Queue[ReportRequest] = asyncio.Queue()
    export = reports.export

    async def seen_export(request: ReportRequest, file_format: str, directory: Path) -> Path:
        started.put_nowait(request)
        return await export(request, file_format, directory)

    reports.export = seen_export  # type: ignore[method-assign]
    # Hold both child processes: opening a pipe for writing returns once a reader has it
    # open, so each child is known to be inside its job.
    pipes = [tmp_path / "hold-1", tmp_path / "hold-2"]
    holds = []
    writers = []
    for pipe in pipes:
        os.mkfifo(pipe)
        holds.append(asyncio.wrap_future(reports._pool().submit(pipe.read_bytes)))
        writers.append(await asyncio.to_thread(open, pipe, "wb"))

    def release() -> None:
        for writer in writers:
            writer.close()

    try:
        asked = f"/manage/reports/download?{NOVEMBER}&format=csv"
        first = asyncio.create_task(director.get(asked))
        assert (await started.get()).sites == (SITE,)  # the director's file is being made
        # The same account again, while it is: refused at once, saying why.
        second = asyncio.create_task(director.get(asked))
        next_export = asyncio.create_task(started.get())
        done, _pending = await asyncio.wait({second, next_export},
                                            return_when=asyncio.FIRST_COMPLETED)
        assert second in done, "a second file of the same account was started"
        refused = second.result()
        assert refused.status == 429
        assert "Một tệp báo cáo của tài khoản này đang được tạo" in refused.body
        in_english = await director.get(f"{asked}&lang=en")
        assert in_english.status == 429
        assert "A report file of this account is being made" in in_english.body
        assert not first.done() and not next_export.done()
        # Another account is not held back by it: its file is started too.
        ward_file = asyncio.create_task(ward.get(
            f"/manage/reports/download?site={WARD}&from=2026-11-01&to=2026-11-30&format=csv"))
        done, _pending = await asyncio.wait({ward_file, next_export},
                                            return_when=asyncio.FIRST_COMPLETED)
        assert next_export in done, f"the ward's file was refused: {ward_file.result().status}"
        assert next_export.result().sites == (WARD,)
        # Let the children go: both files come.
        release()
        assert await asyncio.gather(*holds) == [b"", b""]
        made, ward_made = await first, await ward_file
        assert (made.status, ward_made.status) == (200, 200)
        assert made.body.lstrip("\ufeff").startswith("Mã dịch vụ,Dịch vụ")
        assert ward_made.body.lstrip("\ufeff").startswith("Mã dịch vụ,Dịch vụ")
    finally:
        release()  # a failure must not leave the children held (the server's stop waits)
    # The file was sent: the account may make the next one.
    again = await director.get(asked)
    assert again.status == 200 and started.qsize() == 1
