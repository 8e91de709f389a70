"""Every word of the booking pages (/dat-lich) and reminders, Vietnamese first and English
second.

The pages call ``t("key", **values)`` from :func:`translator`: these keys first, then the
feedback pages' and the managers' (the same bar and shared words). A key missing from a
language is an error, never a blank (a test compares the two key sets).
"""

from __future__ import annotations

from collections.abc import Callable

from server.feedback.texts import translator as feedback_translator
from server.web.texts import Language

BOOKING_TEXTS: dict[Language, dict[str, str]] = {
    Language.VIETNAMESE: {
        "bk_title": "Lấy số, đặt lịch hẹn",
        "bk_language": "English",
        "bk_intro": "Lấy số thứ tự từ xa hoặc đặt lịch đến làm thủ tục, không cần đến "
                    "trung tâm xếp hàng.",
        "bk_choose_centre": "Chọn trung tâm",
        "bk_no_centre": "Hiện chưa có trung tâm nào nhận đặt lịch trực tuyến.",
        "bk_choose_procedure": "Chọn lĩnh vực và thủ tục",
        "bk_no_procedure": "Trung tâm này hiện chưa nhận đặt lịch cho thủ tục nào.",
        "bk_back_centres": "Chọn trung tâm khác",
        "bk_back_procedures": "Chọn thủ tục khác",
        "bk_when": "Chọn thời gian",
        "bk_now": "Lấy số ngay",
        "bk_now_hint_ticket": "Nhận số thứ tự ngay; số được tính từ lúc lấy. Theo dõi số "
                              "trên điện thoại và đến quầy khi gần đến lượt.",
        "bk_now_hint_check_in": "Giữ lượt hôm nay; khi đến trung tâm, quét mã tại kiosk để "
                                "nhận số (số được tính từ lúc nhận tại kiosk), trước {until}.",
        "bk_now_closed": "Hiện không lấy số từ xa được (ngoài giờ nhận).",
        "bk_now_reopens": "Hiện không lấy số từ xa được (ngoài giờ nhận); lấy số lại {when}.",
        "bk_ahead": "Đang có {count} người chờ trước",
        "bk_ahead_unknown": "Đang có {count} người chờ; chưa có quầy mở cho thủ tục này",
        "bk_wait": "thời gian chờ dự kiến khoảng {minutes} phút",
        "bk_slot": "Đặt lịch hẹn",
        "bk_day": "Ngày",
        "bk_slot_hint": "Chọn ngày, rồi giờ bắt đầu (mỗi khung giờ {minutes} phút; số chỗ "
                        "còn lại ghi dưới giờ).",
        "bk_no_slots": "Ngày này không còn khung giờ nào để đặt.",
        "bk_places_left": "còn {count}",
        "bk_full": "hết chỗ",
        "bk_identity": "Thông tin người đặt",
        "bk_identity_hint": "Chỉ dùng để giới hạn số lượt đặt mỗi người và nhắc lịch; tự "
                            "động xóa sau {days} ngày.",
        "bk_by_phone": "Số điện thoại di động (nhận mã xác nhận qua tin nhắn)",
        "bk_by_cccd": "Số căn cước công dân (12 số)",
        "bk_phone": "Số điện thoại di động",
        "bk_phone_hint": "Ví dụ 0912 345 678. Mã xác nhận gửi qua tin nhắn SMS.",
        "bk_cccd": "Số căn cước công dân",
        "bk_cccd_hint": "12 chữ số in trên thẻ căn cước. Tại kiosk, quét mã QR trên thẻ để "
                        "tìm lịch hẹn.",
        "bk_continue": "Tiếp tục",
        "bk_fix": "Chưa đặt được: vui lòng sửa các mục được đánh dấu.",
        "bk_otp_title": "Nhập mã xác nhận",
        "bk_otp_sent": "Mã xác nhận 6 số đã được gửi đến số {phone}. Mã có hiệu lực "
                       "{minutes} phút.",
        "bk_otp": "Mã xác nhận",
        "bk_confirm": "Xác nhận",
        "bk_otp_wrong": "Mã xác nhận: không đúng hoặc đã hết hạn. Vui lòng kiểm tra tin "
                        "nhắn hoặc yêu cầu mã mới.",
        "bk_otp_resend": "Gửi lại mã",
        "bk_otp_not_sent": "Chưa gửi được tin nhắn mã xác nhận; vui lòng thử lại sau ít "
                           "phút hoặc dùng số căn cước công dân.",
        "bk_done_ticket": "Đã lấy số thành công!",
        "bk_done_booking": "Đặt lịch thành công!",
        "bk_your_number": "Số thứ tự của quý khách",
        "bk_follow": "Theo dõi số thứ tự trực tiếp",
        "bk_code": "Mã lịch hẹn",
        "bk_code_hint": "Tại trung tâm, quét mã QR này hoặc nhập mã lịch hẹn tại kiosk "
                        "(mục \"Tôi đã đặt lịch\") để nhận số.",
        "bk_keep_link": "Vui lòng lưu lại trang này (đánh dấu hoặc chụp màn hình): chỉ với "
                        "đường dẫn này quý khách mới xem hoặc hủy được lịch hẹn.",
        "bk_centre": "Trung tâm",
        "bk_procedure": "Thủ tục",
        "bk_time": "Thời gian",
        "bk_time_now": "Hôm nay, lấy lúc {time}",
        "bk_time_slot": "{start}–{end}, {day}",
        "bk_check_in": "Nhận số tại kiosk",
        "bk_check_in_window": "từ {start} đến {end}, {day}",
        "bk_status": "Tình trạng",
        "bk_status_booked": "Đã đặt, chờ nhận số tại kiosk",
        "bk_status_checked_in": "Đã nhận số",
        "bk_status_cancelled": "Đã hủy",
        "bk_status_expired": "Đã hết hạn (không nhận số trong thời gian quy định)",
        "bk_reminder": "Tin nhắn nhắc lịch sẽ được gửi khoảng {minutes} phút trước giờ hẹn.",
        "bk_cancel": "Hủy lịch hẹn",
        "bk_cancel_number": "Hủy số thứ tự",
        "bk_cancel_confirm": "Quý khách chắc chắn muốn hủy? Không thể hoàn tác.",
        "bk_cancelled": "Đã hủy. Cảm ơn quý khách đã báo để nhường lượt cho người khác.",
        "bk_new": "Đặt lịch khác",
        "bk_find": "Đã đặt lịch? Tìm lại lịch hẹn",
        "bk_find_hint": "Nhập mã lịch hẹn và số điện thoại hoặc số căn cước đã dùng khi đặt.",
        "bk_find_identity": "Số điện thoại hoặc số căn cước",
        "bk_find_go": "Tìm",
        "bk_not_found": "Không tìm thấy lịch hẹn. Vui lòng kiểm tra mã lịch hẹn và số đã "
                        "dùng khi đặt.",
        "bk_too_many": "Đã có nhiều lượt đặt từ thiết bị này trong thời gian ngắn. Vui lòng "
                       "thử lại sau {minutes} phút.",
        "bk_not_saved": "Chưa lưu được, vui lòng thử lại sau ít phút.",
        "err_site_unknown": "Trung tâm: không có trung tâm này, vui lòng chọn trong danh sách.",
        "err_site_moving": "Trung tâm này đang được chuyển sang máy chủ khác. Vui lòng tải lại "
                           "trang sau vài giây.",
        "err_service_missing": "Thủ tục: vui lòng chọn thủ tục.",
        "err_not_bookable": "Thủ tục này hiện không nhận đặt lịch trực tuyến.",
        "err_when_missing": "Thời gian: vui lòng chọn lấy số ngay hoặc một khung giờ.",
        "err_when_wrong": "Thời gian: lựa chọn không hợp lệ, vui lòng chọn lại.",
        "err_slot_gone": "Thời gian: khung giờ này không còn đặt được (đã qua hoặc ngoài giờ "
                         "nhận), vui lòng chọn khung giờ khác.",
        "err_slot_full": "Thời gian: khung giờ này vừa hết chỗ, vui lòng chọn khung giờ khác.",
        "err_now_closed": "Thời gian: hiện không lấy số từ xa được (ngoài giờ nhận), vui "
                          "lòng đặt lịch một khung giờ.",
        "err_issue_refused": "Chưa lấy được số: {reason}",
        "err_limit_day": "Mỗi người được đặt tối đa {limit} lượt mỗi ngày; quý khách đã đủ "
                         "{limit} lượt cho ngày {day}.",
        "err_limit_field": "Mỗi người được đặt tối đa {limit} lượt mỗi ngày cho lĩnh vực "
                           "{field_vi}; quý khách đã đặt đủ cho ngày {day}.",
        "err_limit_open": "Mỗi người được giữ tối đa {limit} lịch hẹn chưa sử dụng; vui lòng "
                          "dùng hoặc hủy bớt lịch hẹn trước khi đặt thêm.",
        "err_busy": "Chưa đặt được, vui lòng thử lại.",
        "err_identity_missing": "Thông tin người đặt: vui lòng chọn số điện thoại hoặc số "
                                "căn cước.",
        "err_phone": "Số điện thoại di động: {reason}.",
        "err_phone_missing": "Số điện thoại di động: vui lòng nhập số điện thoại.",
        "err_cccd_missing": "Số căn cước công dân: vui lòng nhập 12 chữ số.",
        "err_cccd_digits": "Số căn cước công dân: gồm đúng 12 chữ số.",
        "err_cccd_province": "Số căn cước công dân: 3 số đầu không phải mã tỉnh, thành phố "
                             "(ví dụ 001 Hà Nội, 079 TP. Hồ Chí Minh).",
        "err_cccd_century": "Số căn cước công dân: chữ số thứ 4 (thế kỷ sinh và giới tính) "
                            "phải từ 0 đến 3.",
        "err_cccd_year": "Số căn cước công dân: năm sinh (chữ số thứ 5 và 6) chưa đến.",
        "err_otp_missing": "Mã xác nhận: vui lòng nhập 6 chữ số trong tin nhắn.",
        "err_booking_unknown": "Không tìm thấy lịch hẹn này.",
        "err_booking_changed": "Lịch hẹn vừa thay đổi; vui lòng xem lại.",
        "err_cancel_closed": "Lịch hẹn này không còn hủy được (đã hủy, đã hết hạn hoặc đã "
                             "được phục vụ).",
        "err_cancel_too_late": "Số thứ tự đã được gọi hoặc phục vụ nên không hủy được nữa.",
        "field_code": "Mã lịch hẹn",
        "err_code_booking": "Mã lịch hẹn: gồm 8 chữ cái và chữ số, ví dụ ABCD-2345.",
        "err_lookup_identity": "Số điện thoại hoặc số căn cước: chưa đúng (số di động 10 "
                               "chữ số hoặc số căn cước 12 chữ số).",
        "bk_fix_find": "Chưa tìm được: vui lòng sửa các mục được đánh dấu.",
        "reminder": "Nhắc lịch hẹn {site}: {service}, {start} ngày {day}. Mã lịch hẹn {code}. "
                    "Nhận số tại kiosk từ {check_in}. Xem/hủy: {url}",
    },
    Language.ENGLISH: {
        "bk_title": "Take a number, book a visit",
        "bk_language": "Tiếng Việt",
        "bk_intro": "Take a queue number from your phone or book a time for your visit, "
                    "without queueing at the centre.",
        "bk_choose_centre": "Choose the centre",
        "bk_no_centre": "No centre takes online bookings at the moment.",
        "bk_choose_procedure": "Choose the field and procedure",
        "bk_no_procedure": "This centre takes online bookings for no procedure at the moment.",
        "bk_back_centres": "Choose another centre",
        "bk_back_procedures": "Choose another procedure",
        "bk_when": "Choose when",
        "bk_now": "A number now",
        "bk_now_hint_ticket": "Get your queue number now; your place counts from now. Follow "
                              "it on your phone and come to the counter when your turn is "
                              "near.",
        "bk_now_hint_check_in": "Holds your turn today; at the centre, scan the code at the "
                                "kiosk to get your number (your place counts from then), "
                                "before {until}.",
        "bk_now_closed": "Numbers cannot be taken remotely now (outside the hours).",
        "bk_now_reopens": "Numbers cannot be taken remotely now (outside the hours); they "
                          "can again {when}.",
        "bk_ahead": "{count} people waiting ahead",
        "bk_ahead_unknown": "{count} people waiting; no counter open for this procedure yet",
        "bk_wait": "an expected wait of about {minutes} minutes",
        "bk_slot": "Book a time",
        "bk_day": "Day",
        "bk_slot_hint": "Choose the day, then the starting time (each time is {minutes} "
                        "minutes; the places left are under it).",
        "bk_no_slots": "No time is left to book on this day.",
        "bk_places_left": "{count} left",
        "bk_full": "full",
        "bk_identity": "Who is booking",
        "bk_identity_hint": "Used only to limit how often one person books and to remind "
                            "you; erased after {days} days.",
        "bk_by_phone": "Mobile number (a confirmation code comes by SMS)",
        "bk_by_cccd": "Citizen ID card number (12 digits)",
        "bk_phone": "Mobile number",
        "bk_phone_hint": "Such as 0912 345 678. The confirmation code comes by SMS.",
        "bk_cccd": "Citizen ID card number",
        "bk_cccd_hint": "The 12 digits on your ID card. At the kiosk, scan the QR code on "
                        "the card to find your booking.",
        "bk_continue": "Continue",
        "bk_fix": "Not booked yet: please correct the marked fields.",
        "bk_otp_title": "Enter the confirmation code",
        "bk_otp_sent": "A 6-digit confirmation code was sent to {phone}. It is valid for "
                       "{minutes} minutes.",
        "bk_otp": "Confirmation code",
        "bk_confirm": "Confirm",
        "bk_otp_wrong": "Confirmation code: wrong or expired. Please check the message or "
                        "ask for a new code.",
        "bk_otp_resend": "Send the code again",
        "bk_otp_not_sent": "The confirmation code could not be sent; please try again in a "
                           "few minutes or use your ID card number.",
        "bk_done_ticket": "Your number is taken!",
        "bk_done_booking": "Your visit is booked!",
        "bk_your_number": "Your queue number",
        "bk_follow": "Follow your number live",
        "bk_code": "Booking code",
        "bk_code_hint": "At the centre, scan this QR code or type the booking code at the "
                        "kiosk (\"I have a booking\") to get your number.",
        "bk_keep_link": "Please keep this page (bookmark it or take a screenshot): only with "
                        "this link can you see or cancel your booking.",
        "bk_centre": "Centre",
        "bk_procedure": "Procedure",
        "bk_time": "Time",
        "bk_time_now": "Today, taken at {time}",
        "bk_time_slot": "{start}–{end}, {day}",
        "bk_check_in": "Get your number at the kiosk",
        "bk_check_in_window": "from {start} to {end}, {day}",
        "bk_status": "State",
        "bk_status_booked": "Booked, waiting for check-in at the kiosk",
        "bk_status_checked_in": "Number taken",
        "bk_status_cancelled": "Cancelled",
        "bk_status_expired": "Expired (not checked in within its time)",
        "bk_reminder": "A reminder will come by SMS about {minutes} minutes before your time.",
        "bk_cancel": "Cancel the booking",
        "bk_cancel_number": "Cancel the number",
        "bk_cancel_confirm": "Are you sure you want to cancel? This cannot be undone.",
        "bk_cancelled": "Cancelled. Thank you for giving your turn to someone else.",
        "bk_new": "Book again",
        "bk_find": "Booked already? Find your booking",
        "bk_find_hint": "Type the booking code and the phone or ID card number you booked "
                        "with.",
        "bk_find_identity": "Phone or ID card number",
        "bk_find_go": "Find",
        "bk_not_found": "No booking found. Please check the booking code and the number you "
                        "booked with.",
        "bk_too_many": "Several bookings were made from this device in a short time. Please "
                       "try again in {minutes} minutes.",
        "bk_not_saved": "Could not be saved; please try again in a few minutes.",
        "err_site_unknown": "Centre: there is no such centre; please choose one in the list.",
        "err_site_moving": "This centre is moving to another server. Please reload the page "
                           "in a few seconds.",
        "err_service_missing": "Procedure: please choose a procedure.",
        "err_not_bookable": "This procedure takes no online bookings at the moment.",
        "err_when_missing": "When: please choose a number now or a time.",
        "err_when_wrong": "When: this choice is not valid; please choose again.",
        "err_slot_gone": "When: this time can no longer be booked (it has passed or is outside "
                         "the hours); please choose another.",
        "err_slot_full": "When: this time has just been fully booked; please choose another.",
        "err_now_closed": "When: numbers cannot be taken remotely now (outside the hours); "
                          "please book a time.",
        "err_issue_refused": "No number was taken: {reason}",
        "err_limit_day": "One person may book at most {limit} a day; you already have {limit} "
                         "for {day}.",
        "err_limit_field": "One person may book at most {limit} a day in {field_en}; you "
                           "already have that many for {day}.",
        "err_limit_open": "One person may hold at most {limit} unused bookings; please use or "
                          "cancel one before booking again.",
        "err_busy": "Not booked; please try again.",
        "err_identity_missing": "Who is booking: please choose a mobile number or an ID card "
                                "number.",
        "err_phone": "Mobile number: {reason}.",
        "err_phone_missing": "Mobile number: please type your number.",
        "err_cccd_missing": "ID card number: please type its 12 digits.",
        "err_cccd_digits": "ID card number: exactly 12 digits.",
        "err_cccd_province": "ID card number: its first 3 digits are no province's code (such "
                             "as 001 Hà Nội, 079 Hồ Chí Minh City).",
        "err_cccd_century": "ID card number: its 4th digit (century of birth and sex) must be "
                            "0 to 3.",
        "err_cccd_year": "ID card number: its year of birth (5th and 6th digits) has not come "
                         "yet.",
        "err_otp_missing": "Confirmation code: please type the 6 digits of the message.",
        "err_booking_unknown": "This booking was not found.",
        "err_booking_changed": "The booking has just changed; please look again.",
        "err_cancel_closed": "This booking can no longer be cancelled (cancelled, expired or "
                             "served already).",
        "err_cancel_too_late": "The number has been called or served, so it can no longer "
                               "be cancelled.",
        "field_code": "Booking code",
        "err_code_booking": "Booking code: 8 letters and digits, such as ABCD-2345.",
        "err_lookup_identity": "Phone or ID card number: not valid (a mobile number of 10 "
                               "digits or an ID card number of 12).",
        "bk_fix_find": "Not found yet: please correct the marked fields.",
        "reminder": "Reminder {site}: {service}, {start} on {day}. Booking code {code}. "
                    "Check in at the kiosk from {check_in}. View/cancel: {url}",
    },
}


def translator(language: Language) -> Callable[..., str]:
    """``t(key, **values)`` in ``language``: the booking pages' words, then the feedback
    and managers' pages'; raises KeyError for a key none has."""
    own = BOOKING_TEXTS[language]
    shared = feedback_translator(language)

    def t(key: str, **values: object) -> str:
        if key in own:
            return own[key].format(**values) if values else own[key]
        return shared(key, **values)

    return t
