"""Every word of the managers' pages, Vietnamese first and English second.

Templates call ``t("key")`` (:func:`translator`); a key missing from a language is an error
the tests catch (both languages must say everything), not a blank on a wallboard.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum


class Language(StrEnum):
    VIETNAMESE = "vi"
    ENGLISH = "en"


TEXTS: dict[Language, dict[str, str]] = {
    Language.VIETNAMESE: {
        "app": "Hệ thống xếp hàng tự động",
        "manage": "Quản lý",
        "switch_language": "English",
        "sign_in": "Đăng nhập",
        "sign_in_title": "Đăng nhập trang quản lý",
        "sign_in_hint": "Dành cho lãnh đạo trung tâm và cán bộ theo dõi.",
        "user": "Tên đăng nhập",
        "password": "Mật khẩu",
        "sign_out": "Đăng xuất",
        "signed_in_as": "Đã đăng nhập",
        "wrong_password": "Tên đăng nhập hoặc mật khẩu không đúng.",
        "slowed": "Đăng nhập sai quá nhiều lần. Vui lòng thử lại sau {seconds} giây.",
        "session_over": "Phiên làm việc đã hết hạn. Vui lòng đăng nhập lại.",
        "form_expired": "Biểu mẫu đã hết hạn hoặc không hợp lệ. Vui lòng tải lại trang.",
        "not_yours": "Không tìm thấy trung tâm này trong quyền của bạn.",
        "not_found": "Không tìm thấy trang.",
        "dashboard": "Bảng điều khiển",
        "province": "Toàn tỉnh",
        "reports": "Báo cáo",
        "live": "Trực tiếp",
        "connecting": "Đang kết nối…",
        "connection_lost": "Mất kết nối — đang kết nối lại…",
        "today": "Hôm nay",
        "issued": "Đã cấp số",
        "served": "Đã phục vụ",
        "waiting": "Đang chờ",
        "no_show": "Vắng mặt",
        "cancelled": "Đã hủy",
        "median_wait": "Thời gian chờ (trung vị)",
        "satisfaction": "Tỷ lệ hài lòng (QĐ 766)",
        "ratings": "Lượt đánh giá",
        "counters": "Quầy",
        "counter": "Quầy",
        "zone": "Khu vực",
        "status": "Trạng thái",
        "officer": "Cán bộ",
        "in_hand": "Đang phục vụ",
        "for": "trong",
        "services": "Thủ tục",
        "service": "Thủ tục",
        "longest_wait": "Chờ lâu nhất",
        "target": "Mục tiêu",
        "served_today": "Đã phục vụ hôm nay",
        "open_counters": "Quầy mở",
        "devices": "Thiết bị",
        "device": "Thiết bị",
        "last_report": "Báo cáo gần nhất",
        "alerts": "Cảnh báo",
        "no_alerts": "Không có cảnh báo.",
        "no_devices": "Chưa có thiết bị nào báo trạng thái.",
        "status_open": "Đang mở",
        "status_paused": "Tạm dừng",
        "status_closed": "Đóng",
        "alert_wait_over_target": "{subject}: có người chờ quá {target} phút",
        "alert_counter_paused": "{subject} tạm dừng quá {limit} phút",
        "alert_device_fault": "Thiết bị {subject}: {detail}",
        "alert_device_silent": "Thiết bị {subject} mất liên lạc",
        "device_ok": "Bình thường",
        "device_offline": "Mất kết nối",
        "device_paper_out": "Hết giấy",
        "device_paper_near_end": "Sắp hết giấy",
        "device_cover_open": "Mở nắp",
        "device_error": "Lỗi",
        "device_silent": "Mất liên lạc",
        "minutes": "phút",
        "site": "Trung tâm",
        "sites": "Các trung tâm",
        "sort_hint": "Bấm tiêu đề cột để sắp xếp.",
        "open": "Mở",
        "none": "—",
    },
    Language.ENGLISH: {
        "app": "Automatic queueing system",
        "manage": "Management",
        "switch_language": "Tiếng Việt",
        "sign_in": "Sign in",
        "sign_in_title": "Sign in to the management pages",
        "sign_in_hint": "For centre managers and supervisors.",
        "user": "User name",
        "password": "Password",
        "sign_out": "Sign out",
        "signed_in_as": "Signed in",
        "wrong_password": "The user name or password is wrong.",
        "slowed": "Too many failed sign-ins. Please try again in {seconds} seconds.",
        "session_over": "Your session has ended. Please sign in again.",
        "form_expired": "The form has expired or is not valid. Please reload the page.",
        "not_yours": "This centre is not among yours.",
        "not_found": "Page not found.",
        "dashboard": "Dashboard",
        "province": "Province",
        "reports": "Reports",
        "live": "Live",
        "connecting": "Connecting…",
        "connection_lost": "Connection lost — reconnecting…",
        "today": "Today",
        "issued": "Issued",
        "served": "Served",
        "waiting": "Waiting",
        "no_show": "No-shows",
        "cancelled": "Cancelled",
        "median_wait": "Wait (median)",
        "satisfaction": "Satisfaction (QĐ 766)",
        "ratings": "Ratings",
        "counters": "Counters",
        "counter": "Counter",
        "zone": "Zone",
        "status": "Status",
        "officer": "Officer",
        "in_hand": "Serving",
        "for": "for",
        "services": "Services",
        "service": "Service",
        "longest_wait": "Longest wait",
        "target": "Target",
        "served_today": "Served today",
        "open_counters": "Counters open",
        "devices": "Devices",
        "device": "Device",
        "last_report": "Last report",
        "alerts": "Alerts",
        "no_alerts": "No alerts.",
        "no_devices": "No device has reported yet.",
        "status_open": "Open",
        "status_paused": "Paused",
        "status_closed": "Closed",
        "alert_wait_over_target": "{subject}: someone has waited over {target} min",
        "alert_counter_paused": "{subject} paused for over {limit} min",
        "alert_device_fault": "Device {subject}: {detail}",
        "alert_device_silent": "Device {subject} is silent",
        "device_ok": "OK",
        "device_offline": "Offline",
        "device_paper_out": "Out of paper",
        "device_paper_near_end": "Paper low",
        "device_cover_open": "Cover open",
        "device_error": "Error",
        "device_silent": "Silent",
        "minutes": "min",
        "site": "Centre",
        "sites": "Centres",
        "sort_hint": "Click a column's title to sort.",
        "open": "Open",
        "none": "—",
    },
}


def language_of(text: str | None) -> Language:
    """The language a request asked for (``vi`` unless ``en``)."""
    return Language.ENGLISH if text == Language.ENGLISH.value else Language.VIETNAMESE


def translator(language: Language) -> Callable[..., str]:
    """``t(key, **values)`` in ``language``; raises KeyError for a key it does not have."""
    texts = TEXTS[language]

    def t(key: str, **values: object) -> str:
        text = texts[key]
        return text.format(**values) if values else text

    return t
