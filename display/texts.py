"""Words on the lobby display, Vietnamese first and English second, and date/time formats.

Pure: the Qt display uses these; the web display (``display/web/assets/display.js``) carries the
same words, and ``tests/display/test_web_display.py`` checks that the two agree.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

__all__ = [
    "CONNECTING",
    "CONNECTION_LOST",
    "COUNTERS",
    "ENABLE_SOUND",
    "NOBODY_WAITING",
    "NOT_YET_KNOWN",
    "NOW_CALLING",
    "NO_CALLS_YET",
    "NO_COUNTERS",
    "NO_RECENT_CALLS",
    "RECENT_CALLS",
    "RECONNECTING",
    "REFUSED",
    "REFUSED_HELP",
    "TAKE_A_TICKET",
    "UNKNOWN_ZONE",
    "WAITING",
    "WELCOME",
    "Label",
    "counter_status_label",
    "format_clock",
    "format_date",
    "more_services",
    "weekday_name",
]


@dataclass(frozen=True, slots=True)
class Label:
    """One piece of text in both languages."""

    vietnamese: str
    english: str


NOW_CALLING = Label("MỜI CÔNG DÂN CÓ SỐ", "NOW CALLING")
RECENT_CALLS = Label("SỐ VỪA GỌI", "RECENT CALLS")
COUNTERS = Label("CÁC QUẦY", "COUNTERS")
WAITING = Label("ĐANG CHỜ", "WAITING")
NOBODY_WAITING = Label("Không có người chờ", "Nobody waiting")
# Screens with nothing to show say so in words (rather than a grey dash or an empty strip).
NO_CALLS_YET = Label("Chưa có số nào được gọi", "No number has been called yet")
TAKE_A_TICKET = Label("Xin mời lấy số thứ tự và chờ đến lượt",
                      "Please take a ticket and wait for your number")
NO_RECENT_CALLS = Label("Chưa có lượt gọi", "No calls yet")
NO_COUNTERS = Label("Khu vực này không có quầy", "No counters in this zone")
# Before the server has answered (connecting, refused), what the lists would say is unknown:
# they say that, not "nobody waiting".
NOT_YET_KNOWN = Label("Chưa có thông tin", "Not known yet")
# The notice strip when the site has neither a notice nor a name (or none is known yet).
WELCOME = Label("Kính chào Quý khách", "Welcome")
# The web display only: a browser that plays sound only after a person has pressed something.
ENABLE_SOUND = Label("Nhấn một phím hoặc chạm vào màn hình để bật tiếng đọc số",
                     "Press any key or tap the screen to turn on the voice")
CONNECTION_LOST = Label("MẤT KẾT NỐI", "CONNECTION LOST")
RECONNECTING = Label("Đang kết nối lại…", "Reconnecting…")
CONNECTING = Label("ĐANG KẾT NỐI…", "CONNECTING…")
UNKNOWN_ZONE = Label("KHÔNG CÓ KHU VỰC", "NO SUCH ZONE")
# The server refused the hello: a wrong token, or a site the token is not for. Both give the
# same answer on the wire (so a token cannot probe site codes), hence one message for both.
REFUSED = Label("MÃ THIẾT BỊ KHÔNG HỢP LỆ", "DEVICE TOKEN REFUSED")
REFUSED_HELP = Label("Mã thiết bị hoặc mã đơn vị sai — báo bộ phận CNTT",
                     "Wrong device token or site — please call IT support")

_COUNTER_STATUS = {
    "open": Label("", ""),
    "paused": Label("Tạm dừng", "Paused"),
    "closed": Label("Đóng", "Closed"),
}

# Monday first, as date.weekday() counts.
_WEEKDAYS = ("Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ Nhật")


def counter_status_label(status: str) -> Label:
    """What a counter panel says instead of a number: empty when open, else paused/closed."""
    return _COUNTER_STATUS.get(status, _COUNTER_STATUS["closed"])


def more_services(count: int) -> Label:
    """The last line of a waiting list that does not fit: how many services are left out."""
    return Label(f"… và {count} dịch vụ khác", f"… and {count} more")


def weekday_name(day: date) -> str:
    """Vietnamese weekday: ``Thứ Hai`` … ``Thứ Bảy``, ``Chủ Nhật``."""
    return _WEEKDAYS[day.weekday()]


def format_date(day: date) -> str:
    """``Thứ Bảy, 22/11/2026``: the weekday, then dd/mm/yyyy as Vietnam writes dates."""
    return f"{weekday_name(day)}, {day:%d/%m/%Y}"


def format_clock(moment: datetime) -> str:
    """``08:05:09`` (24-hour clock)."""
    return f"{moment:%H:%M:%S}"
