"""CSV files: UTF-8 with a byte-order mark, so Excel opens the Vietnamese right.

Comma-separated with a dot for decimals (RFC 4180, what every tool reads); minutes and
shares to one decimal (shares as percentages), dates dd/mm/yyyy, times in the site's zone.
The workbook (:mod:`server.reports.workbook`) is the one to open in Excel with Vietnamese
regional settings: its numbers are numbers whatever the decimal sign.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any, TextIO

from server.reports.files import replacing
from server.reports.model import CaseRow, Report
from server.reports.table import Kind, TableColumn, body, figure_columns, key_headers
from server.reports.texts import SOURCE_NAMES, STATUS_NAMES, day_text

ENCODING = "utf-8-sig"

CASE_HEADERS = (
    "Trung tâm", "Ngày", "Số phiếu", "Mã phiếu", "Mã dịch vụ", "Dịch vụ", "Lĩnh vực",
    "Ưu tiên", "Trạng thái", "Quầy", "Cán bộ", "Giờ lấy số", "Giờ gọi", "Giờ bắt đầu",
    "Giờ xong", "Chờ (phút)", "Phục vụ (phút)", "Số lần chuyển", "Mã hồ sơ",
    "Điểm đánh giá", "Mức đánh giá", "Nguồn đánh giá", "Thời điểm đánh giá",
)


def write_csv(report: Report, target: Path) -> None:
    """The report's rows and total as ``target`` (written whole or not at all)."""
    with replacing(target) as temporary, temporary.open("w", encoding=ENCODING,
                                                        newline="") as stream:
        write_report_rows(report, stream)


def write_report_rows(report: Report, stream: TextIO) -> None:
    """The report's table on an open text ``stream`` (no byte-order mark: the caller's)."""
    writer = csv.writer(stream)
    columns = figure_columns(report)
    writer.writerow([*key_headers(report),
                     *(f"{column.header} (%)" if column.kind is Kind.SHARE else column.header
                       for column in columns)])
    width = len(key_headers(report))
    for cells in body(report):
        writer.writerow([_text(value) for value in cells[:width]]
                        + [_cell(column, value) for column, value in zip(columns, cells[width:],
                                                                         strict=True)])


def write_cases_csv(cases: Iterable[CaseRow], target: Path) -> int:
    """Every ticket of ``cases`` (the per-case listing) as ``target``; returns how many."""
    count = 0
    with replacing(target) as temporary, temporary.open("w", encoding=ENCODING,
                                                        newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(CASE_HEADERS)
        for case in cases:
            writer.writerow([_text(value) for value in case_cells(case)])
            count += 1
    return count


def case_cells(case: CaseRow) -> Sequence[Any]:
    """A ticket's cells, as :data:`CASE_HEADERS` lists them (times local, naive)."""
    return (
        case.site, case.business_date, case.number, case.ticket_id, case.service,
        case.service_name, case.field_name, case.priority or "",
        STATUS_NAMES.get(case.status, case.status), case.counter_name or "",
        case.officer_name or "", case.issued_at, case.first_called_at, case.serving_at,
        case.finished_at, _round_minutes(case.waiting_seconds),
        _round_minutes(case.service_seconds), case.transfer_count, case.case_code or "",
        case.score if case.score is not None else "", case.rating_label or "",
        SOURCE_NAMES.get(case.rating_source or "", case.rating_source or ""), case.rated_at,
    )


def _round_minutes(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / 60, 1)


def _cell(column: TableColumn, value: Any) -> str:
    if value is None:
        return ""
    if column.kind is Kind.COUNT:
        return str(int(value))
    if column.kind is Kind.SHARE:
        return f"{value * 100:.1f}"
    if column.kind in (Kind.MINUTES, Kind.HOURS, Kind.RATE):
        return f"{value:.1f}"
    return _text(value)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return f"{value:%d/%m/%Y %H:%M:%S}"
    if isinstance(value, date):
        return day_text(value)
    return str(value)
