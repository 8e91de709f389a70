"""The report workbook (XLSX, openpyxl), with native Excel charts that stay editable.

Sheets, in order: ``Tổng hợp`` (the key figures, the chart tables and their charts),
``Theo dịch vụ``, ``Theo quầy``, ``Theo cán bộ``, ``Theo giờ`` (and the request's own
breakdown when it is another: ``Theo lĩnh vực``, ``Theo ngày`` or ``Theo trung tâm``),
``Đánh giá`` (ratings per label, the QĐ 766 rate and its weeks) and ``Chi tiết hồ sơ`` (one
row per ticket for the one-stop e-system, continued on ``Chi tiết hồ sơ (2)``... past
Excel's 1,048,576 rows).

Written in openpyxl's write-only mode, row after row, so memory stays flat however many
tickets the per-case sheet lists; into a temporary file renamed into place at the end.
Numbers are numbers (minutes ``0.0``, shares ``0.0%``), dates and times real dates shown
dd/mm/yyyy, in the site's time zone.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.chart import BarChart, LineChart, Reference
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from sqlalchemy import Engine

from server.config.settings import Settings
from server.reports.csv_file import CASE_HEADERS, case_cells
from server.reports.files import replacing
from server.reports.model import CaseRow, Figures, Report
from server.reports.request import BREAKDOWN_TITLES, Breakdown, ReportRequest
from server.reports.run import iter_cases, run_reports
from server.reports.table import Kind, figure_columns, key_headers, key_values
from server.reports.texts import range_text

SUMMARY_SHEET = "Tổng hợp"
RATINGS_SHEET = "Đánh giá"
CASES_SHEET = "Chi tiết hồ sơ"
# The sheets every workbook has, whatever its request's breakdown.
SHEET_BREAKDOWNS = (Breakdown.SERVICE, Breakdown.COUNTER, Breakdown.OFFICER, Breakdown.HOUR)
# Excel's last row; the header takes one.
EXCEL_ROWS = 1_048_576

FORMATS = {Kind.COUNT: "#,##0", Kind.MINUTES: "0.0", Kind.SHARE: "0.0%",
           Kind.HOURS: "0.0", Kind.RATE: "0.0", Kind.TEXT: "General"}
DAY_FORMAT = "dd/mm/yyyy"
TIME_FORMAT = "dd/mm/yyyy hh:mm:ss"
_HEADER_FILL = PatternFill("solid", fgColor="DCE6F1")


def workbook_breakdowns(request: ReportRequest) -> tuple[Breakdown, ...]:
    """The breakdowns a workbook of ``request`` has a sheet for."""
    return tuple(dict.fromkeys((*SHEET_BREAKDOWNS, request.breakdown)))


def export_xlsx(engine: Engine, settings: Settings, request: ReportRequest, target: Path,
                now: datetime | None = None) -> int:
    """Run ``request`` and write its workbook to ``target``; returns how many tickets the
    per-case sheet lists. Raises :class:`~server.reports.errors.ReportError` (nothing is
    left at ``target`` then, or the earlier file stays)."""
    reports = run_reports(engine, settings, request, workbook_breakdowns(request), now)
    cases = iter_cases(engine, settings, request)
    try:
        return write_xlsx(reports, cases, target)
    finally:
        close = getattr(cases, "close", None)
        if close is not None:
            close()


def write_xlsx(reports: Mapping[Breakdown, Report], cases: Iterable[CaseRow],
               target: Path) -> int:
    """The workbook of ``reports`` (one per breakdown, same request) and ``cases`` at
    ``target``, written whole or not at all; returns how many cases it lists."""
    report = next(iter(reports.values()))
    # The target's directory is checked first, before any work.
    with replacing(target) as temporary:
        workbook = Workbook(write_only=True)
        try:
            _summary(workbook, report)
            for breakdown, item in reports.items():
                _breakdown_sheet(workbook, BREAKDOWN_TITLES[breakdown][0], item)
            _ratings_sheet(workbook, report)
            count = _cases_sheets(workbook, cases)
            workbook.save(temporary)
        finally:
            # A write-only workbook holds a temporary file per sheet until saved or closed.
            workbook.close()
    return count


# --- cells ----------------------------------------------------------------------------------


def _cell(sheet: Any, value: Any, number_format: str | None = None, bold: bool = False,
          size: int | None = None, header: bool = False) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, value=value)
    if number_format:
        cell.number_format = number_format
    if bold or header or size:
        cell.font = Font(bold=bold or header, size=size)
    if header:
        cell.fill = _HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="center")
    return cell


def _headers(sheet: Any, names: Sequence[str]) -> list[WriteOnlyCell]:
    return [_cell(sheet, name, header=True) for name in names]


def _widths(sheet: Any, widths: Sequence[float]) -> None:
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width


# --- sheets ---------------------------------------------------------------------------------


def _title_rows(sheet: Any, report: Report, title: str) -> int:
    """The title block; returns how many rows it took."""
    zone = report.sites[0].timezone if report.sites else "UTC"
    made = report.generated_at.astimezone(ZoneInfo(zone))
    request = report.request
    sheet.append([_cell(sheet, title, bold=True, size=14)])
    sheet.append(["Trung tâm", "; ".join(site.name_vi for site in report.sites)])
    sheet.append(["Thời gian", range_text(request.first, request.last)])
    sheet.append(["Lập lúc", _cell(sheet, made.replace(tzinfo=None), "dd/mm/yyyy hh:mm")])
    sheet.append(["Múi giờ", zone])
    sheet.append([])
    return 6


def _key_figures(total: Figures) -> list[tuple[str, Any, Kind]]:
    def minutes(seconds: float | None) -> float | None:
        return None if seconds is None else seconds / 60

    return [
        ("Số phiếu đã cấp", total.issued, Kind.COUNT),
        ("Đã phục vụ", total.served, Kind.COUNT),
        ("Vắng mặt", total.no_show, Kind.COUNT),
        ("Đã hủy", total.cancelled, Kind.COUNT),
        ("Chưa xong", total.in_progress, Kind.COUNT),
        ("Có chuyển quầy/dịch vụ", total.transferred, Kind.COUNT),
        ("Thời gian chờ: trung vị (phút)", minutes(total.waiting.median), Kind.MINUTES),
        ("Thời gian chờ: 90% không quá (phút)", minutes(total.waiting.p90), Kind.MINUTES),
        ("Thời gian chờ: trung bình (phút)", minutes(total.waiting.mean), Kind.MINUTES),
        ("Thời gian chờ: lâu nhất (phút)", minutes(total.waiting.maximum), Kind.MINUTES),
        ("Thời gian phục vụ: trung vị (phút)", minutes(total.service.median), Kind.MINUTES),
        ("Thời gian phục vụ: 90% không quá (phút)", minutes(total.service.p90), Kind.MINUTES),
        ("Thời gian phục vụ: trung bình (phút)", minutes(total.service.mean), Kind.MINUTES),
        ("Thời gian phục vụ: lâu nhất (phút)", minutes(total.service.maximum), Kind.MINUTES),
        ("Chờ không quá thời gian quy định", total.within_target_share, Kind.SHARE),
        ("Số lượt đánh giá", total.rated, Kind.COUNT),
        ("Tỷ lệ phiếu được đánh giá", total.rated_share, Kind.SHARE),
        ("Số hồ sơ đã phục vụ (QĐ 766)", total.cases_served, Kind.COUNT),
        ("Số hồ sơ không hài lòng", total.cases_dissatisfied, Kind.COUNT),
        ("Tỷ lệ hài lòng (QĐ 766/QĐ-TTg)", total.satisfaction_rate, Kind.SHARE),
    ]


def _print_setup(sheet: Any, pages_tall: int) -> None:
    """Landscape A4, one page wide (``pages_tall`` high; 0: as many as it takes)."""
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = 9  # A4 (openpyxl: Worksheet.PAPERSIZE_A4)
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = pages_tall


def _summary(workbook: Workbook, report: Report) -> None:
    sheet = workbook.create_sheet(SUMMARY_SHEET)
    _print_setup(sheet, 1)
    _widths(sheet, (42, 16, 14, 16))
    row = _title_rows(sheet, report, "BÁO CÁO TÌNH HÌNH PHỤC VỤ CÔNG DÂN")
    sheet.append(_headers(sheet, ("Chỉ tiêu", "Giá trị")))
    row += 1
    for label, value, kind in _key_figures(report.total):
        bold = label.startswith("Tỷ lệ hài lòng")
        sheet.append([_cell(sheet, label, bold=bold),
                      _cell(sheet, value, FORMATS[kind], bold=bold)])
        row += 1
    charts = report.charts
    sheet.append([])
    row += 1
    # Each chart's table, then the chart beside the summary, reading it.
    sheet.append([_cell(sheet, "Lượt lấy số và lượt gọi theo giờ", bold=True)])
    sheet.append(_headers(sheet, ("Giờ", "Lấy số", "Được gọi")))
    hours_header = row + 2
    for item in charts.hours:
        sheet.append([f"{item.hour:02d}:00", _cell(sheet, item.arrivals, FORMATS[Kind.COUNT]),
                      _cell(sheet, item.calls, FORMATS[Kind.COUNT])])
    row = hours_header + len(charts.hours)
    sheet.append([])
    sheet.append([_cell(sheet, "Phân bố thời gian chờ (phiếu đã phục vụ)", bold=True)])
    sheet.append(_headers(sheet, ("Chờ (phút)", "Số phiếu")))
    waiting_header = row + 3
    for bucket in charts.waiting:
        sheet.append([bucket.label, _cell(sheet, bucket.count, FORMATS[Kind.COUNT])])
    row = waiting_header + len(charts.waiting)
    sheet.append([])
    sheet.append([_cell(sheet, "Tỷ lệ hài lòng theo tuần (QĐ 766)", bold=True)])
    sheet.append(_headers(sheet, ("Tuần từ ngày", "Hồ sơ đã phục vụ", "Không hài lòng",
                                  "Tỷ lệ hài lòng")))
    weeks_header = row + 3
    for week in charts.weeks:
        sheet.append([_cell(sheet, week.week_start, DAY_FORMAT),
                      _cell(sheet, week.cases_served, FORMATS[Kind.COUNT]),
                      _cell(sheet, week.cases_dissatisfied, FORMATS[Kind.COUNT]),
                      _cell(sheet, week.satisfaction_rate, FORMATS[Kind.SHARE])])
    if charts.hours:
        chart = BarChart()
        chart.title = "Lượt lấy số và lượt gọi theo giờ"
        chart.y_axis.title = "Lượt"
        chart.x_axis.title = "Giờ"
        chart.add_data(Reference(sheet, min_col=2, max_col=3, min_row=hours_header,
                                 max_row=hours_header + len(charts.hours)),
                       titles_from_data=True)
        chart.set_categories(Reference(sheet, min_col=1, min_row=hours_header + 1,
                                       max_row=hours_header + len(charts.hours)))
        _place(sheet, chart, "F2")
    if any(bucket.count for bucket in charts.waiting):
        chart = BarChart()
        chart.title = "Phân bố thời gian chờ"
        chart.y_axis.title = "Số phiếu"
        chart.x_axis.title = "Phút"
        chart.legend = None
        chart.add_data(Reference(sheet, min_col=2, min_row=waiting_header,
                                 max_row=waiting_header + len(charts.waiting)),
                       titles_from_data=True)
        chart.set_categories(Reference(sheet, min_col=1, min_row=waiting_header + 1,
                                       max_row=waiting_header + len(charts.waiting)))
        _place(sheet, chart, "F19")
    if charts.weeks:
        line = LineChart()
        line.title = "Tỷ lệ hài lòng theo tuần (QĐ 766)"
        line.y_axis.title = "Tỷ lệ"
        line.y_axis.number_format = "0%"
        line.y_axis.scaling.min = 0
        line.y_axis.scaling.max = 1
        line.legend = None
        line.add_data(Reference(sheet, min_col=4, min_row=weeks_header,
                                max_row=weeks_header + len(charts.weeks)),
                      titles_from_data=True)
        line.set_categories(Reference(sheet, min_col=1, min_row=weeks_header + 1,
                                      max_row=weeks_header + len(charts.weeks)))
        _place(sheet, line, "F36")


def _place(sheet: Any, chart: Any, anchor: str) -> None:
    chart.width = 17
    chart.height = 8
    # Axes shown (openpyxl's default leaves them out in newer Excel versions).
    chart.x_axis.delete = False
    chart.y_axis.delete = False
    sheet.add_chart(chart, anchor)


def _breakdown_sheet(workbook: Workbook, title: str, report: Report) -> None:
    sheet = workbook.create_sheet(title)
    _print_setup(sheet, 0)
    keys = key_headers(report)
    columns = figure_columns(report)
    _widths(sheet, [*([28] * (len(keys) - 2)), 14, 44, *([13] * len(columns))])
    # The names stay in view while the figures scroll.
    sheet.freeze_panes = f"{get_column_letter(len(keys) + 1)}2"
    sheet.append(_headers(sheet, [*keys, *(column.header for column in columns)]))
    for row in report.rows:
        sheet.append([*key_values(report, row),
                      *(_cell(sheet, column.value(row.figures), FORMATS[column.kind])
                        for column in columns)])
    sheet.append([*([""] * (len(keys) - 1)), _cell(sheet, "Tổng cộng", bold=True),
                  *(_cell(sheet, column.value(report.total), FORMATS[column.kind], bold=True)
                    for column in columns)])


def _ratings_sheet(workbook: Workbook, report: Report) -> None:
    sheet = workbook.create_sheet(RATINGS_SHEET)
    _print_setup(sheet, 1)
    _widths(sheet, (62, 16, 16, 16))
    row = _title_rows(sheet, report, "ĐÁNH GIÁ MỨC ĐỘ HÀI LÒNG")
    total = report.total
    sheet.append(_headers(sheet, ("Mức đánh giá", "Điểm", "Số lượt", "Tỷ lệ")))
    header = row + 1
    for step in report.scale:
        count = total.ratings.get(step.score, 0)
        sheet.append([step.label_vi, step.score, _cell(sheet, count, FORMATS[Kind.COUNT]),
                      _cell(sheet, count / total.rated if total.rated else None,
                            FORMATS[Kind.SHARE])])
    sheet.append([_cell(sheet, "Tổng số lượt đánh giá", bold=True), "",
                  _cell(sheet, total.rated, FORMATS[Kind.COUNT], bold=True)])
    sheet.append([])
    sheet.append([_cell(sheet, "Chỉ số hài lòng theo Quyết định 766/QĐ-TTg", bold=True)])
    sheet.append(["Số hồ sơ đã phục vụ (mỗi mã hồ sơ tính một lần; phiếu không có mã hồ sơ "
                  "tính là một hồ sơ)", _cell(sheet, total.cases_served, FORMATS[Kind.COUNT])])
    sheet.append(["Số hồ sơ có đánh giá \"Không hài lòng\"",
                  _cell(sheet, total.cases_dissatisfied, FORMATS[Kind.COUNT])])
    sheet.append([_cell(sheet, "Tỷ lệ hài lòng = (hồ sơ đã phục vụ - hồ sơ không hài lòng) "
                               "/ hồ sơ đã phục vụ", bold=True),
                  _cell(sheet, total.satisfaction_rate, FORMATS[Kind.SHARE], bold=True)])
    sheet.append(["Tỷ lệ phiếu đã phục vụ được đánh giá",
                  _cell(sheet, total.rated_share, FORMATS[Kind.SHARE])])
    if report.scale and total.rated:
        chart = BarChart()
        chart.type = "bar"
        chart.title = "Số lượt đánh giá theo mức"
        chart.legend = None
        chart.add_data(Reference(sheet, min_col=3, min_row=header,
                                 max_row=header + len(report.scale)), titles_from_data=True)
        chart.set_categories(Reference(sheet, min_col=1, min_row=header + 1,
                                       max_row=header + len(report.scale)))
        _place(sheet, chart, "F2")


def _cases_sheets(workbook: Workbook, cases: Iterable[CaseRow]) -> int:
    count = 0
    sheet = None
    part = 0
    in_sheet = EXCEL_ROWS
    for case in cases:
        if in_sheet >= EXCEL_ROWS:
            part += 1
            sheet = workbook.create_sheet(CASES_SHEET if part == 1 else f"{CASES_SHEET} ({part})")
            _widths(sheet, (14, 12, 9, 28, 14, 40, 26, 12, 14, 16, 22, 19, 19, 19, 19, 10,
                            10, 8, 26, 8, 16, 12, 19))
            sheet.freeze_panes = "D2"
            sheet.append(_headers(sheet, CASE_HEADERS))
            in_sheet = 1
        assert sheet is not None
        sheet.append([_case_value(sheet, value) for value in case_cells(case)])
        in_sheet += 1
        count += 1
    if sheet is None:
        sheet = workbook.create_sheet(CASES_SHEET)
        sheet.append(_headers(sheet, CASE_HEADERS))
    return count


def _case_value(sheet: Any, value: Any) -> Any:
    if isinstance(value, datetime):
        return _cell(sheet, value, TIME_FORMAT)
    if hasattr(value, "isoformat") and not isinstance(value, str):
        return _cell(sheet, value, DAY_FORMAT)
    return value
