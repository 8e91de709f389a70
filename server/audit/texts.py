"""Every word of the audit log's page (``/manage/audit``), Vietnamese first and English second.

The page's own words come first; the managers' pages' words (server.web.texts) fill in the
rest (the header, sign-out, the language switch). Both languages must say everything: a test
compares their keys.
"""

from __future__ import annotations

from collections.abc import Callable

from server.web.texts import TEXTS, Language

AUDIT_TEXTS: dict[Language, dict[str, str]] = {
    Language.VIETNAMESE: {
        "au_title": "Nhật ký kiểm tra",
        "au_hint": "Ai đã làm gì, từ thiết bị và địa chỉ nào, lúc nào; giữ {days} ngày. "
                   "Không ghi mật khẩu, mã truy cập, mã dùng một lần hay số điện thoại, "
                   "số CCCD đầy đủ.",
        "au_from": "Từ ngày",
        "au_to": "Đến ngày",
        "au_actor": "Người thực hiện",
        "au_action": "Hành động",
        "au_any_action": "Mọi hành động",
        "au_site": "Trung tâm",
        "au_all_sites": "Tất cả",
        "au_no_site": "—",
        "au_filter": "Xem",
        "au_download": "Tải CSV",
        "au_when": "Thời gian",
        "au_who": "Người thực hiện",
        "au_where": "Thiết bị · địa chỉ",
        "au_what": "Hành động",
        "au_target": "Đối tượng",
        "au_change": "Trước → sau",
        "au_outcome": "Kết quả",
        "au_ok": "thành công",
        "au_refused": "bị từ chối",
        "au_none": "Không có mục nào trong khoảng này.",
        "au_previous": "Trang trước",
        "au_next": "Trang sau",
        "au_page": "Trang {page}",
        "au_admins_only": "Chỉ quản trị viên của trung tâm và tài khoản cấp tỉnh xem được "
                          "nhật ký kiểm tra.",
        "au_day_wrong": "{field}: \u201c{value}\u201d không phải là ngày (yyyy-mm-dd).",
        "au_order": "Đến ngày phải từ {first} trở đi.",
        "au_long": "Mỗi lần xem hoặc tải tối đa 366 ngày.",
        "au_too_long": "{field}: quá dài (tối đa {limit} ký tự).",
        "au_action_unknown": "\u201c{value}\u201d không phải là hành động trong danh sách.",
        "au_busy": "Đang tạo một tệp nhật ký cho bạn; vui lòng chờ tệp đó xong.",
        "au_unreadable": "Chưa đọc được nhật ký, vui lòng thử lại.",
    },
    Language.ENGLISH: {
        "au_title": "Audit log",
        "au_hint": "Who did what, from which device and address, and when; kept {days} "
                   "days. Passwords, tokens, one-time codes and full phone or ID card "
                   "numbers are never recorded.",
        "au_from": "From",
        "au_to": "To",
        "au_actor": "Actor",
        "au_action": "Action",
        "au_any_action": "Any action",
        "au_site": "Site",
        "au_all_sites": "All",
        "au_no_site": "—",
        "au_filter": "Show",
        "au_download": "Download CSV",
        "au_when": "When",
        "au_who": "Who",
        "au_where": "Device · address",
        "au_what": "Action",
        "au_target": "Target",
        "au_change": "Before → after",
        "au_outcome": "Outcome",
        "au_ok": "done",
        "au_refused": "refused",
        "au_none": "No entries in this range.",
        "au_previous": "Previous page",
        "au_next": "Next page",
        "au_page": "Page {page}",
        "au_admins_only": "Only a site's administrators and the province's accounts may see "
                          "the audit log.",
        "au_day_wrong": "{field}: \u201c{value}\u201d is not a day (yyyy-mm-dd).",
        "au_order": "The last day must be {first} or later.",
        "au_long": "At most 366 days at a time.",
        "au_too_long": "{field}: too long (at most {limit} characters).",
        "au_action_unknown": "\u201c{value}\u201d is not an action of the list.",
        "au_busy": "An audit file is being made for you; please wait for it to finish.",
        "au_unreadable": "The audit log could not be read; please try again.",
    },
}


def translator(language: Language) -> Callable[..., str]:
    """``t(key, **values)`` in ``language``: the audit page's words, then the managers'
    pages'; raises KeyError for a key neither has."""
    own = AUDIT_TEXTS[language]
    shared = TEXTS[language]

    def t(key: str, **values: object) -> str:
        text = own[key] if key in own else shared[key]
        return text.format(**values) if values else text

    return t
