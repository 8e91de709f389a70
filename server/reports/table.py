"""A report as a table: the columns every output shares (the workbook's sheets, the CSV
file, the web page), with Vietnamese headers (and English ones for the pages' English
switch), in one place.

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
TOTAL_LABEL_EN = "Total"


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
    header_en: str
    kind: Kind
    value: Callable[[Figures], Any]

    def header_in(self, english: bool) -> str:
        return self.header_en if english else self.header


def _minutes(seconds: float | None) -> float | None:
    return None if seconds is None else seconds / 60


def _rating_count(score: int) -> Callable[[Figures], Any]:
    return lambda item: item.ratings.get(score, 0)


def figure_columns(report: Report) -> list[TableColumn]:
    """The figures' columns of ``report`` (its rating scale's labels, and the officers'
    time on duty for an officer breakdown)."""
    column = TableColumn
    columns = [
        column("Số phiếu đã cấp", "Tickets issued", Kind.COUNT, lambda item: item.issued),
        column("Đã phục vụ", "Served", Kind.COUNT, lambda item: item.served),
        column("Vắng mặt", "No-shows", Kind.COUNT, lambda item: item.no_show),
        column("Đã hủy", "Cancelled", Kind.COUNT, lambda item: item.cancelled),
        column("Chưa xong", "In progress", Kind.COUNT, lambda item: item.in_progress),
        column("Có chuyển quầy/dịch vụ", "Transferred", Kind.COUNT,
               lambda item: item.transferred),
        column("Chờ: trung vị (phút)", "Wait: median (min)", Kind.MINUTES,
               lambda item: _minutes(item.waiting.median)),
        column("Chờ: 90% (phút)", "Wait: 90% (min)", Kind.MINUTES,
               lambda item: _minutes(item.waiting.p90)),
        column("Chờ: trung bình (phút)", "Wait: mean (min)", Kind.MINUTES,
               lambda item: _minutes(item.waiting.mean)),
        column("Chờ: lâu nhất (phút)", "Wait: longest (min)", Kind.MINUTES,
               lambda item: _minutes(item.waiting.maximum)),
        column("Phục vụ: trung vị (phút)", "Service: median (min)", Kind.MINUTES,
               lambda item: _minutes(item.service.median)),
        column("Phục vụ: 90% (phút)", "Service: 90% (min)", Kind.MINUTES,
               lambda item: _minutes(item.service.p90)),
        column("Phục vụ: trung bình (phút)", "Service: mean (min)", Kind.MINUTES,
               lambda item: _minutes(item.service.mean)),
        column("Phục vụ: lâu nhất (phút)", "Service: longest (min)", Kind.MINUTES,
               lambda item: _minutes(item.service.maximum)),
        column("Chờ không quá thời gian quy định", "Served within the target wait", Kind.SHARE,
               lambda item: item.within_target_share),
        column("Số lượt đánh giá", "Ratings", Kind.COUNT, lambda item: item.rated),
    ]
    for step in report.scale:
        columns.append(column(step.label_vi, step.label_en or step.label_vi, Kind.COUNT,
                              _rating_count(step.score)))
    columns += [
        column("Tỷ lệ được đánh giá", "Share rated", Kind.SHARE, lambda item: item.rated_share),
        column("Số hồ sơ đã phục vụ", "Cases served", Kind.COUNT,
               lambda item: item.cases_served),
        column("Số hồ sơ không hài lòng", "Cases dissatisfied", Kind.COUNT,
               lambda item: item.cases_dissatisfied),
        column("Tỷ lệ hài lòng (QĐ 766)", "Satisfaction rate (QĐ 766)", Kind.SHARE,
               lambda item: item.satisfaction_rate),
    ]
    if report.request.breakdown is Breakdown.OFFICER:
        columns += [
            column("Giờ làm việc tại quầy", "Hours on duty", Kind.HOURS,
                   lambda item: None if item.on_duty_seconds is None
                   else item.on_duty_seconds / 3600),
            column("Phiếu phục vụ mỗi giờ", "Tickets served per hour", Kind.RATE,
                   lambda item: item.tickets_per_hour),
        ]
    return columns


# The headers naming a row, per breakdown: (code, name) in Vietnamese, then in English.
_KEY_HEADERS = {
    Breakdown.SERVICE: (("Mã dịch vụ", "Dịch vụ"), ("Service code", "Service")),
    Breakdown.FIELD: (("Mã lĩnh vực", "Lĩnh vực"), ("Field code", "Field")),
    Breakdown.COUNTER: (("Mã quầy", "Quầy"), ("Counter code", "Counter")),
    Breakdown.OFFICER: (("Tài khoản", "Cán bộ"), ("Account", "Officer")),
    Breakdown.SITE: (("Mã trung tâm", "Trung tâm"), ("Site code", "Site")),
    Breakdown.HOUR: (("Giờ", "Khung giờ"), ("Hour", "Time of day")),
    Breakdown.DAY: (("Ngày", "Thứ, ngày"), ("Date", "Day")),
}


def key_headers(report: Report, english: bool = False) -> list[str]:
    """The headers naming a row: the site (when the rows are per site and there are
    several), the code and the name (a time span for hours, a date for days)."""
    names = _KEY_HEADERS[report.request.breakdown][1 if english else 0]
    site = "Site" if english else "Trung tâm"
    return [*([site] if _shows_site(report) else []), *names]


def _shows_site(report: Report) -> bool:
    return len(report.sites) > 1 and report.request.breakdown not in (
        Breakdown.HOUR, Breakdown.DAY, Breakdown.SITE)


def key_values(report: Report, row: ReportRow, english: bool = False) -> list[Any]:
    """The cells naming ``row``, as :func:`key_headers` lists them."""
    key: Any = row.key
    if report.request.breakdown is Breakdown.HOUR and isinstance(key, int):
        key = f"{key:02d}:00"
    site = (row.site_name_en if english else None) or row.site_name or row.site
    return [*([site] if _shows_site(report) else []), key,
            row.label_en if english else row.label]


def headers(report: Report, english: bool = False) -> list[str]:
    return [*key_headers(report, english),
            *(column.header_in(english) for column in figure_columns(report))]


def body(report: Report, english: bool = False) -> Iterator[list[Any]]:
    """Every row's cells, then the total's (``Tổng cộng``, ``Total``)."""
    columns = figure_columns(report)
    for row in report.rows:
        yield [*key_values(report, row, english),
               *(column.value(row.figures) for column in columns)]
    blanks = [""] * (len(key_headers(report)) - 1)
    yield [*blanks, TOTAL_LABEL_EN if english else TOTAL_LABEL,
           *(column.value(report.total) for column in columns)]
