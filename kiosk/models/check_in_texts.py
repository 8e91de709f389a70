"""Every word of check-in and scanning, in Vietnamese (first) and English, and what a refusal
says. Plain words for citizens: what happened and what to do, never an error code."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from kiosk.models.booking import server_sentence
from kiosk.models.scan import ScanError, ScanProblem
from kiosk.models.texts import Language


@dataclass(frozen=True)
class CheckInTexts:
    """The check-in texts of one language."""

    have_booking: str
    have_booking_detail: str
    enter_code: str
    enter_code_hint: str
    erase: str
    clear: str
    confirm: str
    checking_in: str
    looking_up: str
    choose_booking: str
    bookings_of_card: str
    booking_detail: str
    card_read: str
    no_booking_today: str
    age_priority: str
    age_priority_some: str
    try_again: str
    not_found: tuple[str, str]
    closed: tuple[str, str]
    conflict: tuple[str, str]
    check_in_failed: tuple[str, str]
    unknown_code: tuple[str, str]
    bad_booking_qr: tuple[str, str]
    bad_id_card: tuple[str, str]
    lookup_failed: tuple[str, str]
    lookup_busy: tuple[str, str]
    booking_disabled: tuple[str, str]
    card_not_used: tuple[str, str]


CHECK_IN_TEXTS: dict[Language, CheckInTexts] = {
    Language.VIETNAMESE: CheckInTexts(
        have_booking="Tôi đã đặt lịch",
        have_booking_detail="Nhập hoặc quét mã lịch hẹn",
        enter_code="Nhập mã lịch hẹn",
        enter_code_hint="Mã 8 ký tự trong tin nhắn hoặc trang đặt lịch. Hoặc đưa mã QR của "
        "lịch hẹn, thẻ căn cước gắn chip vào máy quét.",
        erase="⌫ Xóa",
        clear="Xóa hết",
        confirm="Nhận số ›",
        checking_in="Đang kiểm tra lịch hẹn…",
        looking_up="Đang tìm lịch hẹn của bạn…",
        choose_booking="Chọn lịch hẹn cần nhận số",
        bookings_of_card="Lịch hẹn hôm nay của thẻ {masked}",
        booking_detail="Hẹn lúc {slot} · Mã {code}",
        card_read="Đã đọc thẻ căn cước {masked}.",
        no_booking_today="Không có lịch hẹn hôm nay, vui lòng chọn thủ tục.",
        age_priority="Ưu tiên: {group} (từ {age} tuổi)",
        age_priority_some="Ưu tiên: {group} (từ {age} tuổi), ở các thủ tục có ưu tiên này",
        try_again="Nhập lại mã",
        not_found=("Không tìm thấy lịch hẹn",
                   "Hôm nay trung tâm không có lịch hẹn mã {code}. Vui lòng kiểm tra lại mã."),
        closed=("Ngoài giờ nhận lịch hẹn", "{server}"),
        conflict=("Lịch hẹn không còn dùng được", "{server}"),
        check_in_failed=("Không nhận được lịch hẹn",
                         "Vui lòng báo cán bộ hướng dẫn."),
        unknown_code=("Không dùng được mã này",
                      "Máy quét nhận mã QR của lịch hẹn và thẻ căn cước gắn chip."),
        bad_booking_qr=("Mã QR lịch hẹn không đúng",
                        "Vui lòng nhập mã lịch hẹn bằng bàn phím trên màn hình."),
        bad_id_card=("Không đọc được thẻ căn cước",
                     "{problem}. Vui lòng quét lại, hoặc chọn thủ tục trên màn hình."),
        lookup_failed=("Không tìm được lịch hẹn lúc này",
                       "Vui lòng quét lại, hoặc nhập mã lịch hẹn."),
        lookup_busy=("Máy đang bận", "Vui lòng thử lại sau ít phút."),
        booking_disabled=("Trung tâm chưa nhận đặt lịch trực tuyến",
                          "Vui lòng chọn thủ tục để lấy số."),
        card_not_used=("Ki-ốt không dùng thông tin thẻ căn cước",
                       "Vui lòng chọn thủ tục để lấy số."),
    ),
    Language.ENGLISH: CheckInTexts(
        have_booking="I have a booking",
        have_booking_detail="Type or scan your booking code",
        enter_code="Enter your booking code",
        enter_code_hint="The 8-character code from your text message or booking page. Or hold "
        "the booking's QR code or your chip ID card to the scanner.",
        erase="⌫ Delete",
        clear="Clear",
        confirm="Get my number ›",
        checking_in="Checking your booking…",
        looking_up="Looking for your bookings…",
        choose_booking="Choose the booking to check in",
        bookings_of_card="Today's bookings of ID card {masked}",
        booking_detail="Booked for {slot} · Code {code}",
        card_read="ID card {masked} read.",
        no_booking_today="No booking today, please choose a procedure.",
        age_priority="Priority: {group} ({age} and over)",
        age_priority_some="Priority: {group} ({age} and over), for the procedures that give it",
        try_again="Enter the code again",
        not_found=("Booking not found",
                   "This centre has no booking {code} today. Please check the code."),
        closed=("Outside the check-in time", "{server}"),
        conflict=("This booking can no longer be used", "{server}"),
        check_in_failed=("Could not check in your booking", "Please tell a staff member."),
        unknown_code=("This code cannot be used",
                      "The scanner takes a booking's QR code and chip ID cards."),
        bad_booking_qr=("This booking QR code is not valid",
                        "Please type the booking code on the screen's keypad."),
        bad_id_card=("Could not read the ID card",
                     "{problem}. Please scan it again, or choose a procedure on the screen."),
        lookup_failed=("Cannot look up your bookings now",
                       "Please scan again, or type the booking code."),
        lookup_busy=("The kiosk is busy", "Please try again in a few minutes."),
        booking_disabled=("This centre takes no online bookings",
                          "Please choose a procedure to get a number."),
        card_not_used=("This kiosk does not use ID cards",
                       "Please choose a procedure to get a number."),
    ),
}


def check_in_texts(language: Language) -> CheckInTexts:
    """The check-in texts of ``language``."""
    return CHECK_IN_TEXTS[language]


class RefusalKind(StrEnum):
    """What was refused (the REFUSED screen's title and line depend on it)."""

    ISSUE = "issue"
    CHECK_IN = "check_in"
    SCAN = "scan"
    LOOKUP = "lookup"
    BOOKING_DISABLED = "booking_disabled"
    CARD_NOT_USED = "card_not_used"


@dataclass(frozen=True)
class Refusal:
    """Why the REFUSED screen shows.

    Attributes:
        code: the wire error code (issue, check-in, lookup).
        message: the server's message (check-in's says when the window opens).
        booking_code: the code a check-in was for, shown ``XXXX-XXXX``.
        scan_error: what was wrong with a scan.
        typed: the check-in's code was typed (so "Nhập lại mã" makes sense).
    """

    kind: RefusalKind
    code: str = ""
    message: str = ""
    booking_code: str = ""
    scan_error: ScanError | None = None
    typed: bool = False


def refusal_lines(refusal: Refusal, language: Language) -> tuple[str, str] | None:
    """The REFUSED screen's title and line; None for an issue's refusal (texts.py words it)."""
    words = check_in_texts(language)
    english = language is Language.ENGLISH
    kind = refusal.kind
    if kind is RefusalKind.ISSUE:
        return None
    if kind is RefusalKind.CHECK_IN:
        shown = refusal.booking_code
        if len(shown) == 8:
            shown = f"{shown[:4]}-{shown[4:]}"
        chosen = {"not_found": words.not_found, "closed": words.closed,
                  "conflict": words.conflict}.get(refusal.code, words.check_in_failed)
        server = server_sentence(refusal.message, language)
        title, line = chosen
        return title, line.format(code=shown, server=server)
    if kind is RefusalKind.SCAN:
        error = refusal.scan_error
        problem = error.problem if error is not None else ScanProblem.UNKNOWN
        if problem is ScanProblem.BAD_BOOKING_CODE:
            return words.bad_booking_qr
        if problem is ScanProblem.BAD_ID_CARD and error is not None \
                and error.card_error is not None:
            title, line = words.bad_id_card
            return title, line.format(problem=error.card_error.message(english))
        return words.unknown_code
    if kind is RefusalKind.LOOKUP:
        return words.lookup_busy if refusal.code == "rate_limited" else words.lookup_failed
    if kind is RefusalKind.BOOKING_DISABLED:
        return words.booking_disabled
    return words.card_not_used
