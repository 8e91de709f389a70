"""Words and formats the reports print: dates dd/mm/yyyy, minutes, shares; in Vietnamese,
and in English for the pages' English switch (``english=True``).

The writers (XLSX, CSV, the pages) share these so a figure reads the same everywhere. The
files are Vietnamese; a page in English writes its numbers the English way (``1,234``,
``12.5 min``, ``92.5 %``).
"""

from __future__ import annotations

from datetime import date, datetime

from server.domain.model import TicketStatus

WEEKDAYS = ("Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ nhật")
WEEKDAYS_EN = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")

STATUS_NAMES = {
    TicketStatus.WAITING.value: "Đang chờ",
    TicketStatus.CALLED.value: "Đang gọi",
    TicketStatus.SERVING.value: "Đang phục vụ",
    TicketStatus.DONE.value: "Đã phục vụ",
    TicketStatus.NO_SHOW.value: "Vắng mặt",
    TicketStatus.CANCELLED.value: "Đã hủy",
    TicketStatus.TRANSFERRED.value: "Đã chuyển, đang chờ",
}

SOURCE_NAMES = {"counter": "Tại quầy", "kiosk": "Ki-ốt", "web": "Mã QR", "admin": "Quản trị"}

NOT_CALLED = "(chưa gọi)"
UNKNOWN_OFFICER = "(không đăng nhập)"
UNKNOWN_FIELD = "(không rõ lĩnh vực)"
NOT_CALLED_EN = "(not called)"
UNKNOWN_OFFICER_EN = "(no officer signed in)"
UNKNOWN_FIELD_EN = "(field unknown)"


def day_text(value: date) -> str:
    """``dd/mm/yyyy``."""
    return f"{value:%d/%m/%Y}"


def moment_text(value: datetime) -> str:
    """``dd/mm/yyyy HH:MM`` of a local time."""
    return f"{value:%d/%m/%Y %H:%M}"


def day_label(value: date, english: bool = False) -> str:
    """``Thứ Hai 02/11/2026`` (``Monday 02/11/2026``)."""
    return f"{(WEEKDAYS_EN if english else WEEKDAYS)[value.weekday()]} {day_text(value)}"


def hour_label(hour: int) -> str:
    """``08:00-09:00``."""
    return f"{hour:02d}:00-{(hour + 1) % 24:02d}:00"


def range_text(first: date, last: date) -> str:
    """``01/11/2026 - 30/11/2026`` (one day: that day)."""
    return day_text(first) if first == last else f"{day_text(first)} - {day_text(last)}"


def minutes(seconds: float | None) -> float | None:
    """Seconds as minutes with one decimal (``None`` stays ``None``)."""
    return None if seconds is None else round(seconds / 60, 1)


def percent(share: float | None) -> float | None:
    """A share 0..1 as a percentage with one decimal."""
    return None if share is None else round(share * 100, 1)


def decimal_text(value: float, english: bool = False) -> str:
    """One decimal: ``12,5`` (a Vietnamese decimal comma), ``12.5`` in English."""
    text = f"{value:.1f}"
    return text if english else text.replace(".", ",")


def percent_text(share: float | None, english: bool = False) -> str:
    """``92,5 %`` (``92.5 %``), or an en dash for no figure."""
    value = percent(share)
    return "–" if value is None else decimal_text(value, english) + " %"


def minutes_text(seconds: float | None, english: bool = False) -> str:
    """``12,5 phút`` (``12.5 min``), or an en dash."""
    value = minutes(seconds)
    return "–" if value is None else decimal_text(value, english) + (" min" if english
                                                                      else " phút")


def count_text(value: int, english: bool = False) -> str:
    """``1.234`` (Vietnamese thousands separator; ``1,234`` in English)."""
    text = f"{value:,}"
    return text if english else text.replace(",", ".")
