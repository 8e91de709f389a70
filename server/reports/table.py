"""A report as a table: the columns every output shares (the workbook's sheets, the CSV
file, the web page), with Vietnamese headers, in one place.

Values are kept in their natural units: counts, minutes (from the seconds measured), shares
0..1; each output formats them its own way (a number format in the workbook, one decimal in
the CSV file, ``92,5 %`` on a page: :mod:`server.reports.texts`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from server.reports.model import Figures, Report, ReportRow
from server.reports.request import Breakdown

TOTAL_LABEL = "Tổng cộng"


class Kind(StrEnum):
    """How a column's values read: text, a count, minutes, a share (0..1), hours, a rate."""

    TEXT = "text"
    COUNT = "count"
    MINUTES = "minutes"
    SHARE = "share"
    HOURS = "hours"
    RATE = "rate"


@dataclass(frozen=True, slots=True)
class TableColumn:
    header: str
    kind: Kind
    value: Callable[[Figures], Any]


def _minutes(seconds: float | None) -> float | None:
    return None if seconds is None else seconds / 60


def _rating_count(score: int) -> Callable[[Figures], Any]:
    return lambda item: item.ratings.get(score, 0)


def figure_columns(report: Report) -> list[TableColumn]:
    """The figures' columns of ``report`` (its rating scale's labels, and the officers'
    time on duty for an officer breakdown)."""
    columns = [
        TableColumn("Số phiếu đã cấp", Kind.COUNT, lambda item: item.issued),
        TableColumn("Đã phục vụ", Kind.COUNT, lambda item: item.served),
        TableColumn("Vắng mặt", Kind.COUNT, lambda item: item.no_show),
        TableColumn("Đã hủy", Kind.COUNT, lambda item: item.cancelled),
        TableColumn("Chưa xong", Kind.COUNT, lambda item: item.in_progress),
        TableColumn("Có chuyển quầy/dịch vụ", Kind.COUNT, lambda item: item.transferred),
        TableColumn("Chờ: trung vị (phút)", Kind.MINUTES,
                    lambda item: _minutes(item.waiting.median)),
        TableColumn("Chờ: 90% (phút)", Kind.MINUTES, lambda item: _minutes(item.waiting.p90)),
        TableColumn("Chờ: trung bình (phút)", Kind.MINUTES,
                    lambda item: _minutes(item.waiting.mean)),
        TableColumn("Chờ: lâu nhất (phút)", Kind.MINUTES,
                    lambda item: _minutes(item.waiting.maximum)),
        TableColumn("Phục vụ: trung vị (phút)", Kind.MINUTES,
                    lambda item: _minutes(item.service.median)),
        TableColumn("Phục vụ: 90% (phút)", Kind.MINUTES,
                    lambda item: _minutes(item.service.p90)),
        TableColumn("Phục vụ: trung bình (phút)", Kind.MINUTES,
                    lambda item: _minutes(item.service.mean)),
        TableColumn("Phục vụ: lâu nhất (phút)", Kind.MINUTES,
                    lambda item: _minutes(item.service.maximum)),
        TableColumn("Chờ không quá thời gian quy định", Kind.SHARE,
                    lambda item: item.within_target_share),
        TableColumn("Số lượt đánh giá", Kind.COUNT, lambda item: item.rated),
    ]
    for step in report.scale:
        columns.append(TableColumn(step.label_vi, Kind.COUNT, _rating_count(step.score)))
    columns += [
        TableColumn("Tỷ lệ được đánh giá", Kind.SHARE, lambda item: item.rated_share),
        TableColumn("Số hồ sơ đã phục vụ", Kind.COUNT, lambda item: item.cases_served),
        TableColumn("Số hồ sơ không hài lòng", Kind.COUNT,
                    lambda item: item.cases_dissatisfied),
        TableColumn("Tỷ lệ hài lòng (QĐ 766)", Kind.SHARE,
                    lambda item: item.satisfaction_rate),
    ]
    if report.request.breakdown is Breakdown.OFFICER:
        columns += [
            TableColumn("Giờ làm việc tại quầy", Kind.HOURS,
                        lambda item: None if item.on_duty_seconds is None
                        else item.on_duty_seconds / 3600),
            TableColumn("Phiếu phục vụ mỗi giờ", Kind.RATE, lambda item: item.tickets_per_hour),
        ]
    return columns


def key_headers(report: Report) -> list[str]:
    """The headers naming a row: the site (when the rows are per site and there are
    several), the code and the name (a time span for hours, a date for days)."""
    breakdown = report.request.breakdown
    names = {Breakdown.SERVICE: ("Mã dịch vụ", "Dịch vụ"),
             Breakdown.FIELD: ("Mã lĩnh vực", "Lĩnh vực"),
             Breakdown.COUNTER: ("Mã quầy", "Quầy"),
             Breakdown.OFFICER: ("Tài khoản", "Cán bộ"),
             Breakdown.SITE: ("Mã trung tâm", "Trung tâm"),
             Breakdown.HOUR: ("Giờ", "Khung giờ"),
             Breakdown.DAY: ("Ngày", "Thứ, ngày")}[breakdown]
    return [*(["Trung tâm"] if _shows_site(report) else []), *names]


def _shows_site(report: Report) -> bool:
    return len(report.sites) > 1 and report.request.breakdown not in (
        Breakdown.HOUR, Breakdown.DAY, Breakdown.SITE)


def key_values(report: Report, row: ReportRow) -> list[Any]:
    """The cells naming ``row``, as :func:`key_headers` lists them."""
    key: Any = row.key
    if report.request.breakdown is Breakdown.HOUR and isinstance(key, int):
        key = f"{key:02d}:00"
    return [*([row.site_name or row.site] if _shows_site(report) else []), key, row.label]


def headers(report: Report) -> list[str]:
    return [*key_headers(report), *(column.header for column in figure_columns(report))]


def body(report: Report) -> Iterator[list[Any]]:
    """Every row's cells, then the total's (``Tổng cộng``)."""
    columns = figure_columns(report)
    for row in report.rows:
        yield [*key_values(report, row), *(column.value(row.figures) for column in columns)]
    blanks = [""] * (len(key_headers(report)) - 1)
    yield [*blanks, TOTAL_LABEL, *(column.value(report.total) for column in columns)]
