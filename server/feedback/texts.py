"""Every word of the feedback pages, Vietnamese first and English second.

The citizens' and managers' feedback pages call ``t("key")`` from :func:`translator`: the
keys here first, then the managers' pages' own (server.web.texts), so the pages share the
managers' bar and words. A key missing from a language is an error, never a blank.
"""

from __future__ import annotations

from collections.abc import Callable

from server.feedback.model import CONTACT_LIMIT, Category, State
from server.web.texts import TEXTS, Language

CATEGORY_NAMES: dict[Category, tuple[str, str]] = {
    Category.ATTITUDE: ("Thái độ phục vụ", "Staff attitude"),
    Category.WAITING: ("Thời gian chờ", "Waiting time"),
    Category.FACILITIES: ("Cơ sở vật chất", "Facilities"),
    Category.PROCEDURE: ("Thủ tục hành chính", "Procedures"),
    Category.OTHER: ("Khác", "Other"),
}

STATE_NAMES: dict[State, tuple[str, str]] = {
    State.NEW: ("Mới tiếp nhận", "New"),
    State.IN_PROGRESS: ("Đang xử lý", "In progress"),
    State.ANSWERED: ("Đã trả lời", "Answered"),
}

FEEDBACK_TEXTS: dict[Language, dict[str, str]] = {
    Language.VIETNAMESE: {
        "fb_title": "Góp ý, phản ánh, kiến nghị",
        "fb_intro": "Ý kiến của quý khách giúp Trung tâm phục vụ tốt hơn. Không cần đăng "
                    "nhập, không bắt buộc để lại tên.",
        "fb_language": "English",
        "fb_site": "Trung tâm",
        "fb_choose_site": "— Chọn trung tâm —",
        "fb_category": "Góp ý về",
        "fb_text": "Nội dung góp ý",
        "fb_text_hint": "Tối đa {limit} ký tự.",
        "fb_ticket": "Số phiếu thứ tự (nếu có)",
        "fb_ticket_hint": "Số in trên phiếu của quý khách, trong {days} ngày gần đây.",
        "fb_contact": "Số điện thoại hoặc email (nếu muốn được liên hệ lại)",
        "fb_contact_hint": "Không bắt buộc. Chỉ dùng để liên hệ trả lời quý khách; tự động "
                           "xóa sau {days} ngày.",
        "fb_send": "Gửi góp ý",
        "fb_have_code": "Đã gửi góp ý? Xem tình trạng và trả lời bằng mã tra cứu:",
        "fb_code": "Mã tra cứu",
        "fb_lookup": "Xem",
        "fb_fix": "Chưa gửi được: vui lòng sửa các mục được đánh dấu.",
        "fb_thanks": "Cảm ơn quý khách đã góp ý!",
        "fb_code_is": "Mã tra cứu của quý khách",
        "fb_keep_code": "Vui lòng ghi lại hoặc chụp màn hình mã này. Chỉ với mã này quý khách "
                        "mới xem được tình trạng và trả lời của Trung tâm, tại địa chỉ:",
        "fb_your_feedback": "Góp ý của quý khách",
        "fb_state": "Tình trạng",
        "fb_sent_at": "Gửi lúc",
        "fb_answer": "Trả lời của Trung tâm",
        "fb_no_answer": "Trung tâm chưa trả lời. Quý khách vui lòng quay lại xem sau.",
        "fb_contact_given": "Đã để lại thông tin liên hệ (tự động xóa sau {days} ngày).",
        "fb_contact_erased": "Thông tin liên hệ đã được xóa theo thời hạn lưu giữ.",
        "fb_not_found": "Không tìm thấy góp ý với mã tra cứu này. Vui lòng kiểm tra lại mã.",
        "fb_too_many": "Đã có nhiều góp ý được gửi liên tiếp từ thiết bị này. Vui lòng thử "
                       "lại sau {minutes} phút.",
        "fb_not_saved": "Chưa lưu được góp ý, vui lòng thử lại sau ít phút.",
        "fb_new_feedback": "Gửi góp ý khác",
        "err_site_missing": "Trung tâm: vui lòng chọn trung tâm.",
        "err_site_unknown": "Trung tâm: không có trung tâm này, vui lòng chọn trong danh sách.",
        "err_category_missing": "Góp ý về: vui lòng chọn một mục.",
        "err_category_unknown": "Góp ý về: không có mục này, vui lòng chọn trong danh sách.",
        "err_text_missing": "Nội dung góp ý: vui lòng nhập nội dung.",
        "err_text_long": "{field}: dài {count} ký tự, tối đa {limit} ký tự.",
        "err_control": "{field}: có ký tự không hợp lệ.",
        "err_ticket_format": "Số phiếu: chỉ gồm chữ cái và chữ số, ví dụ 1001 hoặc A012.",
        "err_ticket_unknown": "Số phiếu: trung tâm không cấp phiếu số {number} trong {days} "
                              "ngày gần đây.",
        "err_contact": "Số điện thoại hoặc email: chưa đúng (ví dụ 0912 345 678 hoặc "
                       "ten@example.vn, tối đa " + str(CONTACT_LIMIT) + " ký tự).",
        "err_state": "Tình trạng: vui lòng chọn một tình trạng.",
        "err_answer_missing": "Trả lời: cần nhập nội dung trả lời trước khi chuyển sang "
                              "\"Đã trả lời\".",
        "err_code": "Mã tra cứu: gồm 10 chữ cái và chữ số, ví dụ ABCDE-23456.",
        "field_text": "Nội dung góp ý",
        "field_answer": "Trả lời",
        # Managers
        "fb_inbox": "Góp ý, phản ánh",
        "fb_new_count": "{count} góp ý mới",
        "fb_open_inbox": "Xem hộp góp ý",
        "fb_any_state": "Mọi tình trạng",
        "fb_all_sites": "Mọi trung tâm được xem",
        "fb_filter": "Lọc",
        "fb_number": "Số",
        "fb_received": "Nhận lúc",
        "fb_ticket_short": "Số phiếu",
        "fb_contact_short": "Liên hệ",
        "fb_none": "Không có góp ý nào.",
        "fb_page": "Trang {page}/{pages} · {total} góp ý",
        "fb_previous": "Trang trước",
        "fb_next": "Trang sau",
        "fb_export": "Xuất góp ý ra tệp CSV",
        "fb_export_hint": "Theo ngày gửi, các trung tâm đang lọc; tệp không chứa thông tin "
                          "liên hệ.",
        "fb_download": "Tải CSV",
        "fb_item": "Góp ý số {number}",
        "fb_sender_language": "Người gửi dùng tiếng Việt.",
        "fb_sender_language_en": "Người gửi dùng tiếng Anh: nên trả lời bằng tiếng Anh.",
        "fb_no_contact": "Không để lại thông tin liên hệ.",
        "fb_ticket_found": "Phiếu số {number} (mã {ticket_id}).",
        "fb_answer_hint": "Người gửi xem được tình trạng và trả lời này bằng mã tra cứu của họ.",
        "fb_answered_by": "Trả lời lúc {moment} bởi {user}.",
        "fb_save": "Lưu",
        "fb_saved": "Đã lưu. Người gửi xem được ngay bằng mã tra cứu.",
        "fb_changed_meanwhile": "Góp ý này vừa được người khác cập nhật nên chưa lưu thay đổi "
                                "của bạn; vui lòng xem lại rồi lưu.",
        "fb_back": "Về hộp góp ý",
        "fb_range_wrong": "{field}: '{value}' không phải ngày dạng 2026-11-30.",
        "fb_range_order": "Đến ngày: phải từ ngày {first} trở đi.",
        "fb_range_long": "Đến ngày: mỗi tệp tối đa 366 ngày.",
        "fb_poster": "Áp phích mã QR góp ý",
        "fb_poster_heading": "GÓP Ý, PHẢN ÁNH, KIẾN NGHỊ",
        "fb_poster_instruction": "Quét mã QR bằng điện thoại để gửi góp ý cho Trung tâm, "
                                 "không cần đăng nhập.",
        "fb_poster_print": "In áp phích (A4)",
    },
    Language.ENGLISH: {
        "fb_title": "Feedback and suggestions",
        "fb_intro": "Your opinion helps the centre serve you better. No sign-in, no name "
                    "needed.",
        "fb_language": "Tiếng Việt",
        "fb_site": "Centre",
        "fb_choose_site": "— Choose the centre —",
        "fb_category": "Your feedback is about",
        "fb_text": "Your feedback",
        "fb_text_hint": "At most {limit} characters.",
        "fb_ticket": "Queue ticket number (if any)",
        "fb_ticket_hint": "The number printed on your ticket, within the last {days} days.",
        "fb_contact": "Phone or e-mail (if you would like a reply)",
        "fb_contact_hint": "Optional. Used only to reply to you; erased after {days} days.",
        "fb_send": "Send feedback",
        "fb_have_code": "Sent feedback before? See its state and the answer with your "
                        "reference code:",
        "fb_code": "Reference code",
        "fb_lookup": "View",
        "fb_fix": "Not sent yet: please correct the marked fields.",
        "fb_thanks": "Thank you for your feedback!",
        "fb_code_is": "Your reference code",
        "fb_keep_code": "Please write this code down or take a screenshot. Only with it can "
                        "you see the state and the centre's answer, at:",
        "fb_your_feedback": "Your feedback",
        "fb_state": "State",
        "fb_sent_at": "Sent",
        "fb_answer": "The centre's answer",
        "fb_no_answer": "The centre has not answered yet. Please come back later.",
        "fb_contact_given": "Contact details given (erased after {days} days).",
        "fb_contact_erased": "The contact details have been erased, as their time was up.",
        "fb_not_found": "No feedback has this reference code. Please check the code.",
        "fb_too_many": "Several feedbacks were sent from this device in a short time. Please "
                       "try again in {minutes} minutes.",
        "fb_not_saved": "The feedback could not be saved; please try again in a few minutes.",
        "fb_new_feedback": "Send other feedback",
        "err_site_missing": "Centre: please choose the centre.",
        "err_site_unknown": "Centre: there is no such centre; please choose one in the list.",
        "err_category_missing": "Your feedback is about: please choose one.",
        "err_category_unknown": "Your feedback is about: there is no such choice; please "
                                "choose one in the list.",
        "err_text_missing": "Your feedback: please write something.",
        "err_text_long": "{field}: {count} characters long, at most {limit}.",
        "err_control": "{field}: holds characters that are not allowed.",
        "err_ticket_format": "Ticket number: letters and digits only, such as 1001 or A012.",
        "err_ticket_unknown": "Ticket number: the centre issued no ticket {number} in the last "
                              "{days} days.",
        "err_contact": "Phone or e-mail: not valid (such as 0912 345 678 or name@example.vn, "
                       "at most " + str(CONTACT_LIMIT) + " characters).",
        "err_state": "State: please choose one.",
        "err_answer_missing": "Answer: write the answer before setting \"Answered\".",
        "err_code": "Reference code: 10 letters and digits, such as ABCDE-23456.",
        "field_text": "Your feedback",
        "field_answer": "Answer",
        "fb_inbox": "Feedback",
        "fb_new_count": "{count} new feedback",
        "fb_open_inbox": "Open the feedback inbox",
        "fb_any_state": "Any state",
        "fb_all_sites": "Every centre you see",
        "fb_filter": "Filter",
        "fb_number": "No.",
        "fb_received": "Received",
        "fb_ticket_short": "Ticket",
        "fb_contact_short": "Contact",
        "fb_none": "No feedback.",
        "fb_page": "Page {page} of {pages} · {total} items",
        "fb_previous": "Previous page",
        "fb_next": "Next page",
        "fb_export": "Export feedback as CSV",
        "fb_export_hint": "By the day sent, for the centres filtered; the file holds no "
                          "contact details.",
        "fb_download": "Download CSV",
        "fb_item": "Feedback no. {number}",
        "fb_sender_language": "The sender used Vietnamese.",
        "fb_sender_language_en": "The sender used English: answer in English.",
        "fb_no_contact": "No contact details given.",
        "fb_ticket_found": "Ticket {number} (id {ticket_id}).",
        "fb_answer_hint": "The sender sees this state and answer with their reference code.",
        "fb_answered_by": "Answered at {moment} by {user}.",
        "fb_save": "Save",
        "fb_saved": "Saved. The sender sees it now with their reference code.",
        "fb_changed_meanwhile": "Someone else has just changed this feedback, so your change "
                                "was not saved; please look again and save.",
        "fb_back": "Back to the inbox",
        "fb_range_wrong": "{field}: '{value}' is not a date such as 2026-11-30.",
        "fb_range_order": "To: must be {first} or later.",
        "fb_range_long": "To: at most 366 days per file.",
        "fb_poster": "Feedback QR poster",
        "fb_poster_heading": "FEEDBACK AND SUGGESTIONS",
        "fb_poster_instruction": "Scan the QR code with your phone to send the centre your "
                                 "feedback, no sign-in needed.",
        "fb_poster_print": "Print the poster (A4)",
    },
}


def translator(language: Language) -> Callable[..., str]:
    """``t(key, **values)`` in ``language``: the feedback pages' words, then the managers'
    pages'; raises KeyError for a key neither has."""
    own = FEEDBACK_TEXTS[language]
    shared = TEXTS[language]

    def t(key: str, **values: object) -> str:
        text = own[key] if key in own else shared[key]
        return text.format(**values) if values else text

    return t


def category_name(category: Category, language: Language) -> str:
    vi, en = CATEGORY_NAMES[category]
    return en if language is Language.ENGLISH else vi


def state_name(state: State, language: Language) -> str:
    vi, en = STATE_NAMES[state]
    return en if language is Language.ENGLISH else vi
