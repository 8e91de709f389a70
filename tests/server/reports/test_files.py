"""The workbook and the CSV files read back as a user's tools read them: openpyxl, the csv
module; the charts as SVG. A failed write leaves no file."""

from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ElementTree
from datetime import datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook

from server.config import Settings
from server.reports import svg
from server.reports.csv_file import write_cases_csv, write_csv
from server.reports.errors import ReportOutputError
from server.reports.files import replacing
from server.reports.model import HourCount, WaitBucket, WeekSatisfaction
from server.reports.request import build_request
from server.reports.run import iter_cases, run_report
from server.reports.source import open_report_engine
from server.reports.workbook import export_xlsx


def test_workbook_sheets_headers_values_and_charts(report_database: str,
                                                   report_settings: Settings,
                                                   tmp_path: Path) -> None:
    engine = open_report_engine(report_database)
    request = build_request(report_settings, sites="hcc", first="02/11/2026",
                            last="03/11/2026", breakdown="field")
    folder = tmp_path / "out"
    folder.mkdir()
    target = folder / "bao-cao.xlsx"
    assert export_xlsx(engine, report_settings, request, target,
                       now=datetime(2026, 11, 10, 3, 0).astimezone()) == 9
    engine.dispose()
    assert [path.name for path in folder.iterdir()] == ["bao-cao.xlsx"]  # no temporary left

    book = load_workbook(target)
    assert book.sheetnames == ["Tổng hợp", "Theo dịch vụ", "Theo quầy", "Theo cán bộ",
                               "Theo giờ", "Theo lĩnh vực", "Đánh giá", "Chi tiết hồ sơ"]
    summary = book["Tổng hợp"]
    assert summary["A1"].value == "BÁO CÁO TÌNH HÌNH PHỤC VỤ CÔNG DÂN"
    assert (summary["A3"].value, summary["B3"].value) == ("Thời gian",
                                                          "02/11/2026 - 03/11/2026")
    figures = {summary.cell(row, 1).value: summary.cell(row, 2) for row in range(8, 28)}
    assert figures["Số phiếu đã cấp"].value == 9
    assert figures["Thời gian chờ: trung vị (phút)"].value == 8  # 480 s
    assert figures["Thời gian chờ: trung vị (phút)"].number_format == "0.0"
    rate = figures["Tỷ lệ hài lòng (QĐ 766/QĐ-TTg)"]
    assert (rate.value, rate.number_format) == (pytest.approx(0.6), "0.0%")
    assert len(summary._charts) == 3  # hours, waiting times, weeks: native, editable

    services = book["Theo dịch vụ"]
    header = [cell.value for cell in services[1]]
    assert header[:5] == ["Mã dịch vụ", "Dịch vụ", "Số phiếu đã cấp", "Đã phục vụ",
                          "Vắng mặt"]
    assert {"Rất hài lòng", "Không hài lòng", "Tỷ lệ hài lòng (QĐ 766)"} <= set(header)
    body = [[cell.value for cell in row] for row in services.iter_rows(min_row=2)]
    assert [row[:4] for row in body] == [
        ["S1", "Nộp hồ sơ đất đai", 3, 2], ["S2", "Nhận kết quả đất đai", 2, 2],
        ["S3", "Đăng ký khai sinh", 4, 3], [None, "Tổng cộng", 9, 7]]
    officers = [[cell.value for cell in row] for row in book["Theo cán bộ"].iter_rows()]
    assert officers[0][-2:] == ["Giờ làm việc tại quầy", "Phiếu phục vụ mỗi giờ"]
    assert officers[1][1] == "Nguyễn Văn An" and officers[1][-1] == pytest.approx(4.8)
    assert [row[1] for row in book["Theo lĩnh vực"].iter_rows(min_row=2, values_only=True)] == [
        "Đất đai", "Hộ tịch", "Tổng cộng"]
    assert len(book["Đánh giá"]._charts) == 1

    cases = list(book["Chi tiết hồ sơ"].iter_rows(values_only=True))
    assert cases[0][:4] == ("Trung tâm", "Ngày", "Số phiếu", "Mã phiếu")
    first = dict(zip(cases[0], cases[1], strict=True))
    assert first["Số phiếu"] == "A001" and first["Mã hồ sơ"] == "HS-1"
    assert first["Giờ lấy số"] == datetime(2026, 11, 2, 8, 0)  # local time, a real date
    assert first["Mức đánh giá"] == "Rất hài lòng" and first["Chờ (phút)"] == 10
    assert book["Chi tiết hồ sơ"]["L2"].number_format == "dd/mm/yyyy hh:mm:ss"
    assert len(cases) == 10


def test_csv_opens_with_the_csv_module(report_database: str, report_settings: Settings,
                                       tmp_path: Path) -> None:
    engine = open_report_engine(report_database)
    request = build_request(report_settings, sites="all", first="2026-11-02",
                            last="2026-11-03", breakdown="officer")
    result = run_report(engine, report_settings, request)
    target = tmp_path / "can-bo.csv"
    write_csv(result, target)
    raw = target.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # the BOM Excel needs to read UTF-8
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0][:3] == ["Trung tâm", "Tài khoản", "Cán bộ"]
    assert "Tỷ lệ hài lòng (QĐ 766) (%)" in rows[0]
    table = [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]
    an = table[0]
    assert (an["Trung tâm"], an["Cán bộ"], an["Đã phục vụ"]) == (
        "Trung tâm thử nghiệm", "Nguyễn Văn An", "4")
    # an waited 480, 600, 1,200, 2,040 s: the median is the 2nd, 600 s.
    assert (an["Chờ: trung vị (phút)"], an["Phiếu phục vụ mỗi giờ"]) == ("10.0", "4.8")
    assert table[-1]["Cán bộ"] == "Tổng cộng" and table[-1]["Số phiếu đã cấp"] == "10"
    assert table[-1]["Tỷ lệ hài lòng (QĐ 766) (%)"] == "50.0"

    listing = tmp_path / "ho-so.csv"
    assert write_cases_csv(iter_cases(engine, report_settings, request), listing) == 10
    engine.dispose()
    cases = list(csv.DictReader(io.StringIO(listing.read_text("utf-8-sig"))))
    assert (cases[0]["Ngày"], cases[0]["Giờ lấy số"], cases[0]["Trạng thái"]) == (
        "02/11/2026", "02/11/2026 08:00:00", "Đã phục vụ")


def test_a_failed_write_leaves_no_file(tmp_path: Path) -> None:
    target = tmp_path / "report.xlsx"
    target.write_bytes(b"the earlier report")
    with pytest.raises(RuntimeError), replacing(target) as temporary:
        temporary.write_bytes(b"half a workbook")
        raise RuntimeError("interrupted")
    assert target.read_bytes() == b"the earlier report"
    assert [path.name for path in tmp_path.iterdir()] == ["report.xlsx"]
    with pytest.raises(ReportOutputError) as refused, replacing(tmp_path / "no" / "r.csv"):
        pass
    assert refused.value.field == "out"


def test_charts_as_svg() -> None:
    hours = [HourCount(7, 10, 4), HourCount(8, 25, 20)]
    drawn = svg.hourly_chart_svg(hours, title="Lượt <lấy> số & gọi")
    tree = ElementTree.fromstring(drawn)  # well-formed, the title escaped
    assert tree.tag == "{http://www.w3.org/2000/svg}svg"
    assert tree.get("role") == "img" and tree.get("aria-label") == "Lượt <lấy> số & gọi"
    assert "<script" not in drawn and "style=" not in drawn and "href" not in drawn
    assert "08:00 lấy số: 25" in drawn
    waiting = svg.waiting_chart_svg([WaitBucket(0, 5, 3), WaitBucket(60, None, 1)])
    assert "≥ 60" in ElementTree.tostring(ElementTree.fromstring(waiting), "unicode")
    weeks = svg.satisfaction_chart_svg([WeekSatisfaction(datetime(2026, 11, 2).date(), 5, 2, 6),
                                        WeekSatisfaction(datetime(2026, 11, 9).date(), 4, 0, 3)])
    assert "60,0 %" in weeks and "100,0 %" in weeks and "<polyline" in weeks
    assert "Chưa có số liệu" in svg.hourly_chart_svg([])
    # In English (the pages' switch): every word, and the numbers written the English way.
    english = svg.hourly_chart_svg([HourCount(8, 1250, 20)], english=True)
    assert 'aria-label="Arrivals and calls by hour"' in english
    assert "08:00 arrivals: 1,250" in english and "Hour of day" in english
    assert "Calls" in english and "Lấy số" not in english
    waiting = svg.waiting_chart_svg([WaitBucket(0, 5, 3)], english=True)
    assert "Waiting-time distribution" in waiting and "0-5 min: 3" in waiting
    weeks = svg.satisfaction_chart_svg([WeekSatisfaction(datetime(2026, 11, 2).date(), 8, 1,
                                                         6)], english=True)
    assert "87.5 %" in weeks and "Week of 02/11/2026" in weeks
    assert "Satisfaction by week (QĐ 766)" in weeks
    assert "No figures yet" in svg.waiting_chart_svg([], english=True)
