"""Every word the kiosk shows, in Vietnamese (first) and English.

Plain words for citizens: what to do, never an error code. Names of fields, services and
groups come from the server (``name`` / ``name_en``); everything else lives here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from kiosk.models.status import PrinterCondition


class Language(StrEnum):
    """The kiosk's two languages; Vietnamese is the default."""

    VIETNAMESE = "vi"
    ENGLISH = "en"

    @property
    def other(self) -> Language:
        """The language the one-touch switch goes to."""
        return Language.ENGLISH if self is Language.VIETNAMESE else Language.VIETNAMESE


@dataclass(frozen=True)
class Texts:
    """The fixed texts of one language."""

    switch_language: str
    """Label of the language button: the name of the *other* language, in that language."""
    choose_field: str
    choose_service: str
    choose_priority: str
    priority_button: str
    back: str
    previous_page: str
    next_page: str
    page: str
    submit: str
    collect: str
    other: str
    connecting: str
    disconnected: str
    issuing: str
    issuing_offline: str
    printing: str
    your_number: str
    take_ticket: str
    done: str
    ahead_none: str
    ahead_one: str
    ahead_many: str
    ahead_no_counter: str
    eta_label: str
    waiting_none: str
    waiting_one: str
    waiting_many: str
    eta_under_one_minute: str
    eta_minutes: str
    eta_range: str
    priority_label: str
    number_kept: str
    reprint: str
    waiting_for_printer: str
    refused_closed: str
    refused_other: str
    reopens: str
    """A closed choice's line: ``Mở lại lúc 13:30``."""
    closed_now: str
    """A closed choice's line when the reopening is not known."""
    site_closed: str
    site_reopens: str
    site_closed_unknown: str
    weekdays: tuple[str, ...]
    at_time: str
    on_day: str
    printer_paper_out: str
    printer_cover_open: str
    printer_offline: str
    printer_error: str


TEXTS: dict[Language, Texts] = {
    Language.VIETNAMESE: Texts(
        switch_language="English",
        choose_field="Chọn lĩnh vực cần giải quyết",
        choose_service="Chọn thủ tục",
        choose_priority="Chọn đối tượng ưu tiên",
        priority_button="Ưu tiên",
        back="‹ Quay lại",
        previous_page="‹ Trang trước",
        next_page="Trang sau ›",
        page="Trang {page}/{pages}",
        submit="NỘP HỒ SƠ",
        collect="NHẬN KẾT QUẢ",
        other="THỦ TỤC KHÁC",
        connecting="Đang kết nối máy chủ, vui lòng chờ",
        disconnected="Mất kết nối máy chủ, vui lòng chờ",
        issuing="Đang lấy số thứ tự…",
        issuing_offline="Mất kết nối máy chủ, vui lòng chờ. Phiếu sẽ được in ngay khi có kết nối.",
        printing="Đang in phiếu…",
        your_number="Số thứ tự của bạn",
        take_ticket="Vui lòng nhận phiếu ở khe máy in bên dưới",
        done="Xong",
        ahead_none="Không có người chờ trước bạn",
        ahead_one="Có 1 người đang chờ trước bạn",
        ahead_many="Có {count} người đang chờ trước bạn",
        ahead_no_counter="Chưa có quầy mở cho thủ tục này",
        eta_label="Thời gian chờ dự kiến: {wait}",
        waiting_none="Không có người chờ",
        waiting_one="1 người chờ",
        waiting_many="{count} người chờ",
        eta_under_one_minute="dưới 1 phút",
        eta_minutes="khoảng {minutes} phút",
        eta_range="{low}–{high} phút",
        priority_label="Ưu tiên: {group}",
        number_kept="Số của bạn đã được ghi nhận, không bị mất.",
        reprint="In lại phiếu",
        waiting_for_printer="Đang chờ máy in sẵn sàng…",
        refused_closed="Hiện không cấp số cho thủ tục này (ngoài giờ cấp số hoặc đã hết số "
        "trong ngày). Vui lòng hỏi cán bộ hướng dẫn.",
        refused_other="Không lấy được số. Vui lòng báo cán bộ hướng dẫn.",
        reopens="Mở lại {when}",
        closed_now="Hiện không cấp số",
        site_closed="Hiện ngoài giờ cấp số thứ tự",
        site_reopens="Mở lại {when}. Kính mời Quý khách quay lại sau.",
        site_closed_unknown="Vui lòng hỏi cán bộ hướng dẫn về giờ làm việc.",
        weekdays=("thứ Hai", "thứ Ba", "thứ Tư", "thứ Năm", "thứ Sáu", "thứ Bảy", "Chủ nhật"),
        at_time="lúc {time}",
        on_day="lúc {time} {weekday} {day}",
        printer_paper_out="Máy in hết giấy. Vui lòng báo cán bộ hướng dẫn.",
        printer_cover_open="Nắp máy in đang mở. Vui lòng báo cán bộ hướng dẫn.",
        printer_offline="Máy in không phản hồi. Vui lòng báo cán bộ hướng dẫn.",
        printer_error="Máy in bị lỗi. Vui lòng báo cán bộ hướng dẫn.",
    ),
    Language.ENGLISH: Texts(
        switch_language="Tiếng Việt",
        choose_field="Choose a service area",
        choose_service="Choose a procedure",
        choose_priority="Choose your priority group",
        priority_button="Priority",
        back="‹ Back",
        previous_page="‹ Previous",
        next_page="Next ›",
        page="Page {page}/{pages}",
        submit="SUBMIT",
        collect="COLLECT RESULTS",
        other="OTHER",
        connecting="Connecting to the server, please wait",
        disconnected="Lost connection to the server, please wait",
        issuing="Getting your number…",
        issuing_offline="Lost connection to the server, please wait. Your ticket prints as soon "
        "as the connection is back.",
        printing="Printing your ticket…",
        your_number="Your number",
        take_ticket="Please take your ticket from the printer below",
        done="Done",
        ahead_none="Nobody is waiting ahead of you",
        ahead_one="1 person is waiting ahead of you",
        ahead_many="{count} people are waiting ahead of you",
        ahead_no_counter="No counter open for this procedure yet",
        eta_label="Estimated wait: {wait}",
        waiting_none="Nobody waiting",
        waiting_one="1 waiting",
        waiting_many="{count} waiting",
        eta_under_one_minute="under 1 minute",
        eta_minutes="about {minutes} min",
        eta_range="{low}–{high} min",
        priority_label="Priority: {group}",
        number_kept="Your number is recorded and will not be lost.",
        reprint="Print the ticket again",
        waiting_for_printer="Waiting for the printer…",
        refused_closed="No numbers for this procedure right now (outside issuing hours or none "
        "left today). Please ask a staff member.",
        refused_other="Could not get a number. Please tell a staff member.",
        reopens="Reopens {when}",
        closed_now="Not issuing now",
        site_closed="Numbers are not being issued now",
        site_reopens="Reopens {when}. Please come back then.",
        site_closed_unknown="Please ask a staff member about the opening hours.",
        weekdays=("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday",
                  "Sunday"),
        at_time="at {time}",
        on_day="on {weekday} {day} at {time}",
        printer_paper_out="The printer is out of paper. Please tell a staff member.",
        printer_cover_open="The printer cover is open. Please tell a staff member.",
        printer_offline="The printer is not responding. Please tell a staff member.",
        printer_error="The printer has a fault. Please tell a staff member.",
    ),
}


def texts(language: Language) -> Texts:
    """The fixed texts of ``language``."""
    return TEXTS[language]


def eta_text(low: int | None, high: int | None, language: Language) -> str | None:
    """``khoảng 15 phút`` / ``5–20 phút``; None when unknown (no counter open)."""
    words = TEXTS[language]
    if low is None or high is None:
        return None
    if high == 0:
        return words.eta_under_one_minute
    if low == high:
        return words.eta_minutes.format(minutes=low)
    return words.eta_range.format(low=low, high=high)


def waiting_text(waiting: int, language: Language) -> str:
    """``12 người chờ`` with the right singular/none forms."""
    words = TEXTS[language]
    if waiting == 0:
        return words.waiting_none
    if waiting == 1:
        return words.waiting_one
    return words.waiting_many.format(count=waiting)


def wait_line(waiting: int, eta_low: int | None, eta_high: int | None, language: Language) -> str:
    """What a menu choice says about its queue: ``12 người chờ · khoảng 15 phút``; just
    ``Không có người chờ`` when nobody waits."""
    eta = eta_text(eta_low, eta_high, language)
    count = waiting_text(waiting, language)
    return count if eta is None or waiting == 0 else f"{count} · {eta}"


def ahead_text(ahead: int | None, language: Language) -> str:
    """The ticket screen's ``Có 3 người đang chờ trước bạn``; ``None`` (no counter serving the
    ticket is open) says so rather than show a count nobody is working through."""
    words = TEXTS[language]
    if ahead is None:
        return words.ahead_no_counter
    if ahead == 0:
        return words.ahead_none
    if ahead == 1:
        return words.ahead_one
    return words.ahead_many.format(count=ahead)


def printer_message(condition: PrinterCondition, language: Language) -> str | None:
    """The plain sentence for a printer condition that stops printing; None when it prints."""
    words = TEXTS[language]
    return {
        PrinterCondition.PAPER_OUT: words.printer_paper_out,
        PrinterCondition.COVER_OPEN: words.printer_cover_open,
        PrinterCondition.OFFLINE: words.printer_offline,
        PrinterCondition.ERROR: words.printer_error,
    }.get(condition)


def moment_text(moment: datetime, today: date | None, language: Language) -> str:
    """When ``moment`` is (its own offset's wall clock): ``lúc 13:30`` / ``at 13:30`` on
    ``today``, else ``lúc 07:30 thứ Hai 08/02`` / ``on Monday 08/02 at 07:30``."""
    words = TEXTS[language]
    clock = f"{moment:%H:%M}"
    if moment.date() == today:
        return words.at_time.format(time=clock)
    return words.on_day.format(time=clock, weekday=words.weekdays[moment.weekday()],
                               day=f"{moment:%d/%m}")


def reopens_text(moment: datetime | None, today: date | None, language: Language) -> str:
    """A closed choice's line: ``Mở lại lúc 13:30`` (``Hiện không cấp số`` when not known)."""
    words = TEXTS[language]
    if moment is None:
        return words.closed_now
    return words.reopens.format(when=moment_text(moment, today, language))


def refusal_message(code: str, language: Language) -> str:
    """What the citizen reads when the server refused to issue (wire error ``code``)."""
    words = TEXTS[language]
    return words.refused_closed if code == "closed" else words.refused_other
