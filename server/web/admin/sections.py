"""The parts of a site's configuration the administration pages edit, field by field.

Each :class:`Section` says which list of the site's TOML document it edits (``services``,
``counters``, ...; or the site's own keys, a section of one item), and each :class:`Field`
how one key is shown and read back: its kind of input, its label in Vietnamese and English,
and its choices. The values are checked by the configuration's own rules (server.config),
never here: a form becomes a document, the document is validated as the TOML file would be,
and each problem is shown beside the input its key names (:func:`field_of_key`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Kind(StrEnum):
    TEXT = "text"
    LONG_TEXT = "long_text"
    WHOLE = "whole"
    NUMBER = "number"
    YES_NO = "yes_no"
    CHOICE = "choice"
    ORDERED_CHOICES = "ordered_choices"   # several of a list, in an order (comma-separated)
    PASSWORD = "password"                 # a new password, stored as its scrypt hash
    SECRET = "secret"                     # shown once when made (device tokens)
    LINES = "lines"                       # a list, one item a line (closed days, exceptions)
    # Every one of a list of the site, or only those ticked (a box each): the key left out,
    # or the list of codes ticked (maybe none).
    ALL_OR_TICKED = "all_or_ticked"


# ALL_OR_TICKED's inputs: the choice of ``name`` (ALL or TICKED) and a box ``name.code`` each.
ALL = "all"
TICKED = "ticked"


Choices = Callable[[Mapping[str, Any]], list[tuple[str, str]]]
"""The choices of a field, from the site's document: ``(value, label)``."""


@dataclass(frozen=True, slots=True)
class Field:
    """One key of an item: ``name`` in the TOML, how it is input, what it is called."""

    name: str
    kind: Kind
    label_vi: str
    label_en: str
    required: bool = False
    choices: Choices | None = None
    help_vi: str = ""
    help_en: str = ""
    # The choices' labels on the English page, where they differ (the items' English names).
    choices_en: Choices | None = None
    # A key a new item needs and an edit may not change (an item's code: tickets refer to it).
    fixed_once_made: bool = False
    # What a new item's input shows ("1" ticks a yes/no box).
    default: str = ""
    # The key of a table of the item that holds this key ("opening_hours"); "" for the item's
    # own keys. An emptied table is left out.
    table: str = ""
    # How one text (a line, for LINES) becomes the document's value, and back.
    read: Callable[[str], Any] | None = None
    show: Callable[[Any], str] | None = None


@dataclass(frozen=True, slots=True)
class Section:
    """A list of the site's document (``key``), or the site itself (``key`` empty)."""

    slug: str
    key: str
    title_vi: str
    title_en: str
    fields: tuple[Field, ...]
    identity: str = "code"  # the key that names an item in lists and messages
    columns: tuple[str, ...] = field(default=())

    @property
    def single(self) -> bool:
        return not self.key


def _codes(list_key: str, label: str = "name_vi") -> Choices:
    def choices(site: Mapping[str, Any]) -> list[tuple[str, str]]:
        return [(str(item.get("code", "")), f"{item.get('code', '')} — {item.get(label, '')}")
                for item in site.get(list_key, [])]
    return choices


def _names(list_key: str, english: bool) -> Choices:
    """The items of ``list_key`` by their names (the English name, when it has one, with
    ``english``), the code after."""
    def choices(site: Mapping[str, Any]) -> list[tuple[str, str]]:
        found = []
        for item in site.get(list_key, []):
            name = (english and item.get("name_en")) or item.get("name_vi", "")
            found.append((str(item.get("code", "")), f"{name} ({item.get('code', '')})"))
        return found
    return choices


def _counter_codes(site: Mapping[str, Any]) -> list[tuple[str, str]]:
    return [(str(item.get("code", "")), str(item.get("name") or item.get("code", "")))
            for item in site.get("counters", [])]


def _fixed(*values: tuple[str, str]) -> Choices:
    return lambda site: list(values)


# Not a key of a service: the counters whose lists hold it (a service must be served).
SERVED_BY = "served_by"

# --- opening hours: [sites.opening_hours] and a service's own ---------------------------------

HOURS_TABLE = "opening_hours"
WEEKDAYS = (("monday", "Thứ Hai", "Monday"), ("tuesday", "Thứ Ba", "Tuesday"),
            ("wednesday", "Thứ Tư", "Wednesday"), ("thursday", "Thứ Năm", "Thursday"),
            ("friday", "Thứ Sáu", "Friday"), ("saturday", "Thứ Bảy", "Saturday"),
            ("sunday", "Chủ nhật", "Sunday"))
# What an administrator types for a day without sessions; the document holds "".
CLOSED_WORDS = frozenset({"nghỉ", "nghi", "đóng", "closed", "-"})
CLOSED_WORD = "nghỉ"


def _read_day(text: str) -> str:
    return "" if text.strip().lower() in CLOSED_WORDS else text


def _show_day(value: Any) -> str:
    return CLOSED_WORD if value == "" else str(value)


def _read_exception(line: str) -> dict[str, str]:
    """``2027-02-13: 07:30-11:30, 13:30-17:00`` (or ``2027-02-14: nghỉ``) as an exception's
    table; a line without ``:`` keeps only its date, for the rules to say what is missing."""
    day, colon, hours = line.partition(":")
    if not colon:
        return {"date": line.strip()}
    return {"date": day.strip(), "hours": _read_day(hours.strip())}


def _show_exception(value: Any) -> str:
    if not isinstance(value, dict):
        return str(value)
    return f"{value.get('date', '')}: {_show_day(value.get('hours', ''))}"


def _hours_fields(for_service: bool) -> tuple[Field, ...]:
    """The inputs of an ``opening_hours`` table: a day's sessions, closed days, exceptions.
    A service's label says its hours are its own, and an empty day follows the site."""
    prefix_vi, prefix_en = ("Giờ riêng: ", "Own hours: ") if for_service else ("", "")
    if for_service:
        empty_vi, empty_en = "để trống: theo giờ của trung tâm", "empty: the centre's hours"
    else:
        empty_vi, empty_en = "để trống: nghỉ", "empty: closed"
    days = tuple(
        Field(key, Kind.TEXT, prefix_vi + vietnamese, prefix_en + english, table=HOURS_TABLE,
              read=_read_day, show=_show_day,
              help_vi=f"Ví dụ 07:30-11:30, 13:30-17:00; 'nghỉ': không làm việc; {empty_vi}.",
              help_en=f"For example 07:30-11:30, 13:30-17:00; 'nghỉ' (closed): no work; "
                      f"{empty_en}.")
        for key, vietnamese, english in WEEKDAYS)
    return (*days,
            Field("closed", Kind.LINES, prefix_vi + "Ngày nghỉ (lễ, Tết)",
                  prefix_en + "Days closed (public holidays)", table=HOURS_TABLE,
                  help_vi="Mỗi dòng một ngày (2027-04-30) hoặc một khoảng ngày "
                          "(2027-02-04..2027-02-10).",
                  help_en="One a line: a day (2027-04-30) or a range of days "
                          "(2027-02-04..2027-02-10)."),
            Field("exceptions", Kind.LINES, prefix_vi + "Ngày có giờ riêng",
                  prefix_en + "Days with hours of their own", table=HOURS_TABLE,
                  read=_read_exception, show=_show_exception,
                  help_vi="Mỗi dòng 'ngày: giờ', ví dụ 2027-02-20: 07:30-11:30, 13:30-17:00 "
                          "(làm bù thứ Bảy) hoặc 2027-04-29: nghỉ. Thắng cả ngày nghỉ.",
                  help_en="One a line 'date: hours', e.g. 2027-02-20: 07:30-11:30, "
                          "13:30-17:00 (a make-up Saturday) or 2027-04-29: nghỉ. Wins over "
                          "the days closed."))

CODE = Field("code", Kind.TEXT, "Mã", "Code", required=True, fixed_once_made=True,
             help_vi="Chữ, số, '-', '_', '.'; tối đa 32 ký tự. Không đổi được sau khi tạo.",
             help_en="Letters, digits, '-', '_', '.'; at most 32. Cannot change once made.")
NAME_VI = Field("name_vi", Kind.TEXT, "Tên (tiếng Việt)", "Name (Vietnamese)", required=True)
NAME_EN = Field("name_en", Kind.TEXT, "Tên (tiếng Anh)", "Name (English)")

TIMEZONE = Field("timezone", Kind.TEXT, "Múi giờ", "Time zone",
                 help_vi="Ví dụ Asia/Ho_Chi_Minh.", help_en="For example Asia/Ho_Chi_Minh.")

SITE = Section("site", "", "Trung tâm", "Centre", (
    NAME_VI, NAME_EN,
    Field("address", Kind.TEXT, "Địa chỉ", "Address"),
    Field("notice", Kind.LONG_TEXT, "Thông báo trên màn hình sảnh", "Notice on the lobby "
          "displays"),
    Field("ticket_footer", Kind.TEXT, "Dòng cuối phiếu", "Ticket footer"),
    TIMEZONE,
    Field("issue_hours", Kind.TEXT, "Giờ cấp số", "Issuing hours",
          help_vi="Ví dụ 07:00-17:00; để trống: cấp số mọi lúc.",
          help_en="For example 07:00-17:00; empty: any time."),
    Field("target_wait_minutes", Kind.NUMBER, "Thời gian chờ mục tiêu (phút)",
          "Target wait (minutes)"),
    Field("pause_alert_minutes", Kind.NUMBER, "Cảnh báo quầy tạm dừng quá (phút)",
          "Alert when a counter is paused over (minutes)"),
    Field("rating_window_seconds", Kind.WHOLE, "Thời gian đánh giá sau khi xong (giây)",
          "Rating window after finishing (seconds)"),
    Field("kiosk_rating", Kind.YES_NO, "Ki-ốt có màn hình đánh giá", "Kiosks have a rating "
          "screen"),
    Field("requeue_no_show", Kind.YES_NO, "Xếp lại người vắng mặt", "Re-queue no-shows"),
))

# A centre added by a province account: what it is called and where; the rest starts as the
# defaults of server.config.new_site, changed in its sections afterwards.
NEW_SITE = Section("new-site", "", "Thêm trung tâm", "Add a centre", (
    Field("code", Kind.TEXT, "Mã trung tâm", "Centre code", required=True,
          help_vi="Chữ, số, '-', '_', '.'; tối đa 32 ký tự, ví dụ ubnd-xa-tan-lap. Không đổi "
                  "được sau khi tạo.",
          help_en="Letters, digits, '-', '_', '.'; at most 32, e.g. ubnd-xa-tan-lap. Cannot "
                  "change once made."),
    NAME_VI, NAME_EN, TIMEZONE))

FIELDS = Section("fields", "fields", "Lĩnh vực", "Fields", (CODE, NAME_VI, NAME_EN),
                 columns=("code", "name_vi", "name_en"))

NUMBER_GROUPS = Section("number-groups", "number_groups", "Nhóm số", "Number groups", (
    CODE,
    Field("numbers", Kind.TEXT, "Dạng số", "Number format", required=True,
          help_vi="Chữ cái và dấu # (A### in A001) hoặc một dải (1001-1999).",
          help_en="A letter and #s (A### prints A001) or a range (1001-1999)."),
), columns=("code", "numbers"))

SERVICES = Section("services", "services", "Thủ tục", "Services", (
    CODE, NAME_VI, NAME_EN,
    Field("field", Kind.CHOICE, "Lĩnh vực", "Field", required=True,
          choices=_codes("fields")),
    Field("kind", Kind.CHOICE, "Loại", "Kind",
          choices=_fixed(("submit", "Nộp hồ sơ / submit"), ("collect", "Nhận kết quả / collect"),
                         ("other", "Khác / other"))),
    Field("number_group", Kind.CHOICE, "Nhóm số", "Number group",
          choices=_codes("number_groups", "numbers"),
          help_vi="Hoặc điền Dạng số riêng bên dưới.", help_en="Or give a format of its own "
          "below."),
    Field("numbers", Kind.TEXT, "Dạng số riêng", "Its own number format",
          help_vi="Ví dụ B### hoặc 2001-2999.", help_en="For example B### or 2001-2999."),
    Field("expected_minutes", Kind.NUMBER, "Thời gian phục vụ dự kiến (phút)",
          "Expected service time (minutes)"),
    Field("target_wait_minutes", Kind.NUMBER, "Thời gian chờ mục tiêu (phút)",
          "Target wait (minutes)", help_vi="Để trống: theo trung tâm.",
          help_en="Empty: the centre's."),
    Field("daily_limit", Kind.WHOLE, "Số phiếu tối đa mỗi ngày", "Daily limit"),
    Field(SERVED_BY, Kind.ORDERED_CHOICES, "Quầy phục vụ", "Counters serving it",
          required=True, choices=_counter_codes,
          help_vi="Mã quầy, cách nhau bởi dấu phẩy; thủ tục được thêm vào cuối danh sách của "
                  "quầy.", help_en="Counter codes, comma-separated; the service is added at "
                  "the end of each counter's list."),
    Field("priority_groups", Kind.ALL_OR_TICKED, "Đối tượng ưu tiên được nhận",
          "Priority groups it takes", choices=_names("priority_groups", english=False),
          choices_en=_names("priority_groups", english=True),
          help_vi="Nút \"Ưu tiên\" của ki-ốt chỉ hiện các đối tượng này; không đánh dấu đối "
                  "tượng nào: thủ tục không có nút ưu tiên, và ưu tiên theo tuổi không áp "
                  "dụng cho thủ tục.",
          help_en="The kiosk's \"Priority\" button offers only these; none ticked: the "
                  "procedure has no priority button, and priority by age does not apply to "
                  "it."),
    # Its own hours, within the centre's (land files in the mornings only, say).
    *_hours_fields(for_service=True),
), columns=("code", "name_vi", "field", "number_group", "numbers"))

ZONES = Section("zones", "zones", "Khu vực", "Zones", (CODE, NAME_VI, NAME_EN),
                columns=("code", "name_vi", "name_en"))

COUNTERS = Section("counters", "counters", "Quầy", "Counters", (
    CODE,
    Field("name", Kind.TEXT, "Tên quầy", "Name"),
    Field("zone", Kind.CHOICE, "Khu vực", "Zone", required=True, choices=_codes("zones")),
    Field("services", Kind.ORDERED_CHOICES, "Thủ tục (theo thứ tự ưu tiên)",
          "Services (in order of preference)", required=True, choices=_codes("services"),
          help_vi="Mã thủ tục, cách nhau bởi dấu phẩy, thủ tục gọi trước đứng trước.",
          help_en="Service codes, comma-separated, the one called first first."),
    Field("order", Kind.CHOICE, "Cách gọi", "Call order",
          choices=_fixed(("preference", "Theo thứ tự thủ tục / by preference"),
                         ("arrival", "Theo giờ đến / by arrival"))),
), columns=("code", "name", "zone", "services"))

OFFICERS = Section("officers", "officers", "Cán bộ", "Officers", (
    Field("user", Kind.TEXT, "Tên đăng nhập", "User name", required=True,
          fixed_once_made=True),
    Field("full_name", Kind.TEXT, "Họ tên", "Full name", required=True),
    Field("password_hash", Kind.PASSWORD, "Mật khẩu mới", "New password",
          help_vi="Ít nhất 8 ký tự; để trống khi sửa: giữ mật khẩu cũ.",
          help_en="At least 8 characters; empty when editing: keep the old one."),
    Field("active", Kind.YES_NO, "Đang làm việc", "Active", default="1",
          help_vi="Bỏ chọn khi cán bộ nghỉ: không đăng nhập được, lịch sử vẫn giữ.",
          help_en="Untick when the officer leaves: no sign-in, their history is kept."),
    Field("counters", Kind.ORDERED_CHOICES, "Làm việc tại quầy", "May work at counters",
          choices=_counter_codes, help_vi="Để trống: mọi quầy.", help_en="Empty: any."),
), identity="user", columns=("user", "full_name", "counters", "active"))

PRIORITY_GROUPS = Section("priority-groups", "priority_groups", "Đối tượng ưu tiên",
                          "Priority groups", (CODE, NAME_VI, NAME_EN),
                          columns=("code", "name_vi", "name_en"))

def _read_whole(text: str) -> int | str:
    """A whole number as typed; anything else stays text, for the rules to refuse it."""
    return int(text) if re.fullmatch(r"-?\d{1,9}", text) else text


POLICY_TABLE = "priority_policy"
PRIORITY_POLICY = Section("priority-policy", "", "Cách gọi ưu tiên", "Priority policy", (
    Field("kind", Kind.CHOICE, "Cách gọi", "Policy", required=True, table=POLICY_TABLE,
          choices=_fixed(("strict", "Gọi hết phiếu ưu tiên trước / strict: priority first"),
                         ("interleave", "Xen kẽ / interleave")),
          help_vi="Xen kẽ: không ai phải chờ mãi khi phiếu ưu tiên đông.",
          help_en="Interleave: nobody waits for ever when priority tickets are many."),
    Field("priority", Kind.WHOLE, "Số phiếu ưu tiên mỗi lượt", "Priority tickets a round",
          table=POLICY_TABLE, read=_read_whole,
          help_vi="Khi xen kẽ; để trống: 1.", help_en="When interleaving; empty: 1."),
    Field("normal", Kind.WHOLE, "Số phiếu thường mỗi lượt", "Ordinary tickets a round",
          table=POLICY_TABLE, read=_read_whole,
          help_vi="Khi xen kẽ; để trống: 2. Ví dụ 1 : 2 gọi một phiếu ưu tiên rồi hai phiếu "
                  "thường.",
          help_en="When interleaving; empty: 2. For example 1 : 2 calls one priority ticket, "
                  "then two ordinary ones."),
))

# --- bookings: [sites.booking] and [sites.priority_by_age] (docs/booking.md) ---------------------

BOOKING_TABLE = "booking"
AGE_TABLE = "priority_by_age"
_YES_NO = _fixed(("1", "Có / yes"), ("0", "Không / no"))


def _read_yes(text: str) -> bool:
    return text == "1"


def _show_yes(value: Any) -> str:
    return "1" if value is True else "0"


def _read_codes(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def _show_codes(value: Any) -> str:
    return ", ".join(str(part) for part in value) if isinstance(value, list) else str(value)


def _booking_whole(name: str, label_vi: str, label_en: str, help_vi: str,
                   help_en: str) -> Field:
    return Field(name, Kind.WHOLE, label_vi, label_en, table=BOOKING_TABLE, read=_read_whole,
                 help_vi=help_vi, help_en=help_en)


BOOKING = Section("booking", "", "Đặt lịch, lấy số từ xa", "Booking from the phone", (
    Field("enabled", Kind.CHOICE, "Nhận đặt lịch", "Takes bookings", table=BOOKING_TABLE,
          choices=_YES_NO, read=_read_yes, show=_show_yes,
          help_vi="Trang /dat-lich và mục \"Tôi đã đặt lịch\" trên ki-ốt. Để trống: không.",
          help_en="The /dat-lich pages and the kiosk's \"I have a booking\". Empty: no."),
    Field("number_now", Kind.CHOICE, "Lấy số ngay", "A number now", table=BOOKING_TABLE,
          choices=_YES_NO, read=_read_yes, show=_show_yes,
          help_vi="Để trống: có.", help_en="Empty: yes."),
    Field("policy", Kind.CHOICE, "Số từ xa vào hàng", "A remote number joins the queue",
          table=BOOKING_TABLE,
          choices=_fixed(("from_booking", "Tính từ lúc đặt / from booking time (iHanoi)"),
                         ("at_check_in", "Khi nhận số tại ki-ốt / when checked in at the "
                                         "kiosk")),
          help_vi="Để trống: tính từ lúc đặt.", help_en="Empty: from booking time."),
    Field("services", Kind.ORDERED_CHOICES, "Thủ tục nhận đặt lịch",
          "Procedures taking bookings", table=BOOKING_TABLE, choices=_codes("services"),
          read=_read_codes, show=_show_codes,
          help_vi="Mã thủ tục, cách nhau bằng dấu phẩy. Để trống: mọi thủ tục.",
          help_en="Procedure codes, separated by commas. Empty: every procedure."),
    _booking_whole("days_ahead", "Số ngày đặt trước", "Days ahead",
                   "Hôm nay và số ngày tới. Để trống: 6.", "Today and this many days. "
                   "Empty: 6."),
    _booking_whole("slot_minutes", "Độ dài khung giờ (phút)", "Slot length (minutes)",
                   "Để trống: 30.", "Empty: 30."),
    _booking_whole("capacity", "Số người mỗi khung giờ", "People per slot",
                   "Mỗi thủ tục. Để trống: 5.", "Per procedure. Empty: 5."),
    _booking_whole("check_in_early_minutes", "Nhận số sớm (phút)", "Check in early (minutes)",
                   "Trước giờ hẹn. Để trống: 30.", "Before the slot. Empty: 30."),
    _booking_whole("check_in_late_minutes", "Nhận số muộn (phút)", "Check in late (minutes)",
                   "Sau giờ hẹn; quá thì lịch hết hạn. Để trống: 15.",
                   "After the slot's start; then it expires. Empty: 15."),
    _booking_whole("per_person_per_day", "Lượt mỗi người mỗi ngày", "Per person a day",
                   "Để trống: 2.", "Empty: 2."),
    _booking_whole("per_person_per_field_per_day", "Lượt mỗi người mỗi lĩnh vực mỗi ngày",
                   "Per person, field and day", "Để trống: 1.", "Empty: 1."),
    _booking_whole("open_per_person", "Lịch hẹn chưa dùng mỗi người", "Unused per person",
                   "Để trống: 3.", "Empty: 3."),
    _booking_whole("per_address_per_hour", "Lượt mỗi địa chỉ mạng mỗi giờ",
                   "Per network address an hour", "Để trống: 10.", "Empty: 10."),
    _booking_whole("reminder_minutes_before", "Nhắc lịch qua SMS trước (phút)",
                   "SMS reminder before (minutes)", "0: không nhắc. Để trống: 60.",
                   "0: none. Empty: 60."),
    _booking_whole("personal_data_days", "Giữ dữ liệu cá nhân (ngày)",
                   "Keep personal data (days)", "Sau ngày hẹn. Để trống: 30.",
                   "After the day of the visit. Empty: 30."),
))

AGE_PRIORITY = Section("age-priority", "", "Ưu tiên theo tuổi", "Priority by age", (
    Field("group", Kind.CHOICE, "Đối tượng ưu tiên", "Priority group", table=AGE_TABLE,
          choices=_codes("priority_groups"),
          help_vi="Ki-ốt đọc ngày sinh trên mã QR thẻ căn cước. Để trống cả hai: không dùng.",
          help_en="The kiosk reads the birth date on the ID card's QR. Both empty: none."),
    Field("age", Kind.WHOLE, "Từ tuổi", "From the age of", table=AGE_TABLE, read=_read_whole,
          help_vi="Ví dụ 60 (Luật Người cao tuổi) hoặc 75 (Hà Nội).",
          help_en="For example 60 (the law's elderly) or 75 (Hà Nội)."),
))

RATING_SCALE = Section("rating-scale", "rating_scale", "Thang đánh giá", "Rating scale", (
    Field("score", Kind.WHOLE, "Điểm", "Score", required=True, fixed_once_made=True,
          help_vi="Điểm cao hơn là hài lòng hơn; điểm thấp nhất là 'không hài lòng' (QĐ 766).",
          help_en="Higher is better; the lowest is 'dissatisfied' (QĐ 766)."),
    Field("label_vi", Kind.TEXT, "Nhãn (tiếng Việt)", "Label (Vietnamese)", required=True),
    Field("label_en", Kind.TEXT, "Nhãn (tiếng Anh)", "Label (English)"),
), identity="score", columns=("score", "label_vi", "label_en"))

TOKENS = Section("tokens", "tokens", "Mã thiết bị", "Device tokens", (
    Field("name", Kind.TEXT, "Tên / vị trí", "Label", required=True, fixed_once_made=True),
    Field("role", Kind.CHOICE, "Vai trò", "Role", required=True,
          choices=_fixed(("kiosk", "Ki-ốt / kiosk"), ("counter", "Máy tính quầy / counter"),
                         ("display", "Màn hình sảnh / display"),
                         ("bridge", "Cầu nối phần cứng / bridge")),
          fixed_once_made=True),
    Field("token", Kind.SECRET, "Mã", "Token",
          help_vi="Tạo tự động, chỉ hiện một lần.", help_en="Made for you, shown once."),
    Field("counters", Kind.ORDERED_CHOICES, "Quầy (cầu nối)", "Counters (bridge)",
          choices=_counter_codes, help_vi="Chỉ với vai trò cầu nối.", help_en="A bridge only."),
    # The device's profile, applied by the device when it changes.
    Field("zone", Kind.CHOICE, "Khu vực", "Zone", choices=_codes("zones"),
          help_vi="Ki-ốt, màn hình sảnh.", help_en="A kiosk or display."),
    Field("counter", Kind.CHOICE, "Quầy", "Counter", choices=_counter_codes,
          help_vi="Máy tính quầy: quầy mở khi khởi động.",
          help_en="A counter terminal: the counter it opens at."),
    Field("printer", Kind.TEXT, "Máy in", "Printer",
          help_vi="Ki-ốt: ví dụ usb://04b8:0e15, tcp://192.168.1.50:9100, serial:///dev/ttyUSB0.",
          help_en="A kiosk: e.g. usb://04b8:0e15, tcp://192.168.1.50:9100, "
                  "serial:///dev/ttyUSB0."),
    Field("paper_width", Kind.WHOLE, "Khổ giấy (mm)", "Paper width (mm)",
          help_vi="Ki-ốt: 58 hoặc 80.", help_en="A kiosk: 58 or 80."),
    Field("language", Kind.CHOICE, "Ngôn ngữ màn hình", "Screen language",
          choices=_fixed(("vi", "Tiếng Việt"), ("en", "English")),
          help_vi="Ki-ốt, máy tính quầy.", help_en="A kiosk or counter terminal."),
    Field("voice", Kind.TEXT, "Giọng đọc", "Voice pack",
          help_vi="Màn hình sảnh: tên bộ giọng đọc.", help_en="A display: the voice pack's name."),
), identity="name", columns=("name", "role", "zone", "counter", "counters"))

SITE_HOURS = Section("opening-hours", "", "Giờ làm việc", "Opening hours",
                     _hours_fields(for_service=False))

SECTIONS: tuple[Section, ...] = (SITE, SITE_HOURS, FIELDS, SERVICES, NUMBER_GROUPS, ZONES,
                                 COUNTERS, OFFICERS, PRIORITY_GROUPS, PRIORITY_POLICY,
                                 AGE_PRIORITY, BOOKING, RATING_SCALE, TOKENS)
BY_SLUG = {section.slug: section for section in SECTIONS}

_KEY = re.compile(r"^sites\[(\d+)\](?:\.(\w+)(?:\[(\d+)\])?(?:\.(\w+))?)?")


def field_of_key(key: str, site_index: int, section: Section,
                 item_index: int | None) -> str | None:
    """The field (of the item being edited) a configuration error's ``key`` is about, or
    ``None`` when it is about something else (shown above the form)."""
    in_table = _table_field_of_key(key, site_index, section, item_index)
    if in_table is not None:
        return in_table
    found = _KEY.match(key)
    if found is None or int(found.group(1)) != site_index:
        return None
    list_key, index, name = found.group(2), found.group(3), found.group(4)
    if section.single:
        return list_key if list_key in {item.name for item in section.fields} else None
    if list_key != section.key or index is None or int(index) != item_index:
        return None
    return name if name in {item.name for item in section.fields} else None


# sites[0].opening_hours.monday, sites[0].services[3].opening_hours.exceptions[1].date
_TABLE_KEY = re.compile(r"^sites\[(\d+)\](?:\.(\w+)\[(\d+)\])?\.(\w+)\.(\w+)")


def _table_field_of_key(key: str, site_index: int, section: Section,
                        item_index: int | None) -> str | None:
    """The field kept in a table of the item (``opening_hours``) that ``key`` is about."""
    found = _TABLE_KEY.match(key)
    if found is None or int(found.group(1)) != site_index:
        return None
    list_key, index, table, name = found.group(2, 3, 4, 5)
    if section.single and list_key is not None:
        return None
    if not section.single and (list_key != section.key or index is None
                               or int(index) != item_index):
        return None
    return next((spec.name for spec in section.fields
                 if spec.table == table and spec.name == name), None)


def serve_by(site: dict[str, Any], service: str, counters: list[str]) -> None:
    """Make exactly ``counters`` serve ``service`` in ``site``'s document: added at the end of
    a counter's list, taken out of the others' (and renamed lists keep their order)."""
    for counter in site.get("counters", []):
        listed = list(counter.get("services", []))
        if counter.get("code") in counters and service not in listed:
            counter["services"] = [*listed, service]
        elif counter.get("code") not in counters and service in listed:
            counter["services"] = [code for code in listed if code != service]


def served_by(site: Mapping[str, Any], service: str) -> list[str]:
    return [str(counter.get("code")) for counter in site.get("counters", [])
            if service in counter.get("services", [])]


def form_to_item(section: Section, form: Mapping[str, str],
                 previous: Mapping[str, Any] | None) -> dict[str, Any]:
    """The document item a submitted form describes, on top of ``previous`` (keys the form
    does not show are kept). Empty optional inputs leave their key out, so the
    configuration's defaults apply; a value that is not a number stays text, for the rules
    to refuse with the key named."""
    item = dict(previous or {})
    for spec in section.fields:
        if spec.kind in (Kind.PASSWORD, Kind.SECRET) or spec.name == SERVED_BY:
            continue  # made by the page (a hashed password, a drawn token, counters' lists)
        if spec.fixed_once_made and previous is not None:
            continue
        if spec.table:
            _table_value(item, spec, form.get(spec.name, ""))
            continue
        if spec.kind is Kind.ALL_OR_TICKED:
            if form.get(spec.name, ALL) == TICKED:
                item[spec.name] = ticked(spec, form)
            else:
                item.pop(spec.name, None)
            continue
        raw = form.get(spec.name, "")
        if spec.kind is Kind.YES_NO:
            item[spec.name] = raw in ("1", "on", "true")
            continue
        text = raw.strip()
        if not text:
            item.pop(spec.name, None)
            continue
        if spec.kind is Kind.ORDERED_CHOICES:
            item[spec.name] = [part.strip() for part in text.split(",") if part.strip()]
        elif spec.kind is Kind.WHOLE:
            item[spec.name] = int(text) if re.fullmatch(r"-?\d{1,9}", text) else text
        elif spec.kind is Kind.NUMBER:
            item[spec.name] = _number(text)
        else:
            item[spec.name] = text
    return item


def ticked(spec: Field, form: Mapping[str, str]) -> list[str]:
    """The codes whose box of ``spec`` (an ALL_OR_TICKED field) the form ticked, in the
    form's order (the page's: the site's)."""
    prefix = f"{spec.name}."
    return [name[len(prefix):] for name, value in form.items()
            if name.startswith(prefix) and value == "1"]


def all_but_unticked(section: Section, form: Mapping[str, str],
                     site: Mapping[str, Any]) -> dict[str, list[str]]:
    """The ALL_OR_TICKED fields of ``section`` whose form chose "all" with some box left
    unticked (what did the administrator mean?), each with the codes unticked."""
    found: dict[str, list[str]] = {}
    for spec in section.fields:
        # A form without the choice (not the page's) leaves the key out, as an empty input.
        if spec.kind is not Kind.ALL_OR_TICKED or spec.choices is None \
                or form.get(spec.name) != ALL:
            continue
        chosen = set(ticked(spec, form))
        unticked = [code for code, _ in spec.choices(site) if code not in chosen]
        if unticked:
            found[spec.name] = unticked
    return found


def form_values(section: Section, form: Mapping[str, str]) -> dict[str, str]:
    """What each input of ``section``'s form shows when it comes back with problems: what
    was typed (a password or secret never)."""
    values: dict[str, str] = {}
    for spec in section.fields:
        if spec.kind in (Kind.PASSWORD, Kind.SECRET):
            continue
        if spec.kind is Kind.ALL_OR_TICKED:
            choice = TICKED if form.get(spec.name) == TICKED else ALL
            values[spec.name] = f"{choice}:{','.join(ticked(spec, form))}"
        else:
            values[spec.name] = form.get(spec.name, "")
    return values


def _table_value(item: dict[str, Any], spec: Field, raw: str) -> None:
    """Put the form's ``raw`` text for ``spec`` into its table of ``item`` (a copy of the
    table: the previous one is left alone); an empty input leaves the key out, and a table
    left empty is left out too."""
    table = dict(item.get(spec.table) or {})
    value: Any = None
    if spec.kind is Kind.LINES:
        lines = [line.strip() for line in raw.splitlines() if line.strip()]
        value = [spec.read(line) if spec.read else line for line in lines] or None
    elif raw.strip():
        value = spec.read(raw.strip()) if spec.read else raw.strip()
    if value is None:
        table.pop(spec.name, None)
    else:
        table[spec.name] = value
    if table:
        item[spec.table] = table
    else:
        item.pop(spec.table, None)


def _number(text: str) -> int | float | str:
    cleaned = text.replace(",", ".")
    if re.fullmatch(r"-?\d{1,9}", cleaned):
        return int(cleaned)
    if re.fullmatch(r"-?\d{1,9}\.\d{1,6}", cleaned):
        return float(cleaned)
    return text


def item_values(section: Section, item: Mapping[str, Any]) -> dict[str, str]:
    """What each input of ``item``'s form shows."""
    values: dict[str, str] = {}
    for spec in section.fields:
        value = item.get(spec.name)
        if spec.table:
            table = item.get(spec.table)
            value = table.get(spec.name) if isinstance(table, Mapping) else None
        if spec.kind is Kind.LINES and isinstance(value, list):
            values[spec.name] = "\n".join(spec.show(part) if spec.show else str(part)
                                           for part in value)
        elif spec.show is not None and value is not None:
            values[spec.name] = spec.show(value)
        elif spec.kind in (Kind.PASSWORD, Kind.SECRET):
            values[spec.name] = ""
        elif spec.kind is Kind.ALL_OR_TICKED:
            # "all:" (every box ticked: the key is left out) or "ticked:NCT,KT".
            values[spec.name] = f"{ALL}:" if not isinstance(value, list) else \
                f"{TICKED}:{','.join(str(code) for code in value)}"
        elif value is None:
            values[spec.name] = "" if item else spec.default
        elif spec.kind is Kind.ORDERED_CHOICES:
            values[spec.name] = ", ".join(str(part) for part in value)
        elif spec.kind is Kind.YES_NO:
            values[spec.name] = "1" if value else ""
        elif isinstance(value, float) and value.is_integer():
            values[spec.name] = str(int(value))  # 30, as typed, not the document's 30.0
        else:
            values[spec.name] = str(value)
    return values
