"""Every word the counter screen shows, in Vietnamese and English, and the server's errors
turned into plain words.

The server's error messages are technical English (``nobody is waiting for counter 3 (không
còn ai chờ)``); :func:`describe_error` recognises the known ones and says them plainly in the
screen's language, falling back on a sentence per error code. Pure module: no Qt, no I/O.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from counter.settings import Language


class Phrase(StrEnum):
    """Keys of :data:`PHRASES`."""

    APP_TITLE = "app_title"
    CONNECTED = "connected"
    CONNECTING = "connecting"
    RECONNECTING = "reconnecting"
    SWITCH_LANGUAGE = "switch_language"
    LOGIN_TITLE = "login_title"
    LOGIN_SUBTITLE = "login_subtitle"
    COUNTER = "counter"
    USER = "user"
    PASSWORD = "password"
    LOG_IN = "log_in"
    LOGIN_MISSING = "login_missing"
    OFFICER = "officer"
    CURRENT_TICKET = "current_ticket"
    NO_TICKET = "no_ticket"
    TICKET_CALLED = "ticket_called"
    TICKET_SERVING = "ticket_serving"
    SERVICE = "service"
    PRIORITY = "priority"
    NORMAL = "normal"
    WAITED = "waited"
    CALLS = "calls"
    CASE_CODE = "case_code"
    CASE_CODE_HINT = "case_code_hint"
    COUNTER_OPEN = "counter_open"
    COUNTER_PAUSED = "counter_paused"
    COUNTER_PAUSED_BECAUSE = "counter_paused_because"
    COUNTER_CLOSED = "counter_closed"
    CALL_NEXT = "call_next"
    RECALL = "recall"
    CALL_NUMBER = "call_number"
    START = "start"
    NO_SHOW = "no_show"
    FINISH = "finish"
    TRANSFER = "transfer"
    PAUSE = "pause"
    RESUME = "resume"
    LOG_OUT = "log_out"
    WAITING_TITLE = "waiting_title"
    NUMBER = "number"
    NOBODY_WAITING = "nobody_waiting"
    FIGURES_TITLE = "figures_title"
    SERVED = "served"
    NO_SHOWS = "no_shows"
    AVERAGE_WAIT = "average_wait"
    AVERAGE_SERVICE = "average_service"
    RATINGS = "ratings"
    AVERAGE_SCORE = "average_score"
    SECONDS = "seconds"
    MINUTES = "minutes"
    HOURS_MINUTES = "hours_minutes"
    TRANSFER_TITLE = "transfer_title"
    TRANSFER_TO_SERVICE = "transfer_to_service"
    TRANSFER_TO_COUNTER = "transfer_to_counter"
    OK = "ok"
    CANCEL = "cancel"
    PAUSE_TITLE = "pause_title"
    PAUSE_REASON = "pause_reason"
    CALL_NUMBER_TITLE = "call_number_title"
    CALL_NUMBER_PROMPT = "call_number_prompt"
    RATING_TITLE = "rating_title"
    RATING_TICKET = "rating_ticket"
    RATING_REMAINING = "rating_remaining"
    RATING_SENDING = "rating_sending"
    RATING_THANKS = "rating_thanks"
    RATING_EXPIRED = "rating_expired"
    RECONNECTED = "reconnected"
    ACTION_APPLIED = "action_applied"
    ACTION_NOT_APPLIED = "action_not_applied"
    ACTION_UNKNOWN = "action_unknown"
    NOT_CONNECTED = "not_connected"
    SESSION_ENDED = "session_ended"
    NEW_DAY = "new_day"
    TRANSFERRED = "transferred"
    PAUSED_NOTICE = "paused_notice"
    RATED_NOTICE = "rated_notice"
    CHANGE_PASSWORD = "change_password"
    CHANGE_PASSWORD_TITLE = "change_password_title"
    CURRENT_PASSWORD = "current_password"
    NEW_PASSWORD = "new_password"
    REPEAT_PASSWORD = "repeat_password"
    PASSWORD_RULE = "password_rule"
    PASSWORD_CHANGED = "password_changed"
    CURRENT_PASSWORD_MISSING = "current_password_missing"
    PASSWORDS_DIFFER = "passwords_differ"
    # errors
    ERROR_NOBODY_WAITING = "error_nobody_waiting"
    ERROR_WRONG_PASSWORD = "error_wrong_password"
    ERROR_TOO_MANY_FAILURES = "error_too_many_failures"
    ERROR_CURRENT_PASSWORD_WRONG = "error_current_password_wrong"
    ERROR_PASSWORD_TOO_SHORT = "error_password_too_short"
    ERROR_PASSWORD_BLANK = "error_password_blank"
    ERROR_PASSWORD_IS_USER = "error_password_is_user"
    ERROR_PASSWORD_UNCHANGED = "error_password_unchanged"
    ERROR_NO_OFFICER = "error_no_officer"
    ERROR_NOT_ASSIGNED = "error_not_assigned"
    ERROR_COUNTER_BUSY = "error_counter_busy"
    ERROR_BUSY_ELSEWHERE = "error_busy_elsewhere"
    ERROR_COUNTER_NOT_OPEN = "error_counter_not_open"
    ERROR_STILL_HAS_TICKET = "error_still_has_ticket"
    ERROR_PAUSE_WITH_TICKET = "error_pause_with_ticket"
    ERROR_NOT_PAUSED = "error_not_paused"
    ERROR_NO_SUCH_NUMBER = "error_no_such_number"
    ERROR_NOT_WAITING = "error_not_waiting"
    ERROR_TRANSFERRED_ELSEWHERE = "error_transferred_elsewhere"
    ERROR_SERVICE_NOT_SERVED = "error_service_not_served"
    ERROR_NOTHING_TO_RECALL = "error_nothing_to_recall"
    ERROR_ALREADY_SERVING = "error_already_serving"
    ERROR_CITIZEN_CAME = "error_citizen_came"
    ERROR_SAME_SERVICE = "error_same_service"
    ERROR_SAME_COUNTER = "error_same_counter"
    ERROR_NO_SUCH_SERVICE = "error_no_such_service"
    ERROR_NO_SUCH_COUNTER = "error_no_such_counter"
    ERROR_ALREADY_RATED = "error_already_rated"
    ERROR_RATING_CLOSED = "error_rating_closed"
    ERROR_RATED_ELSEWHERE = "error_rated_elsewhere"
    ERROR_NOT_SERVED_YET = "error_not_served_yet"
    ERROR_BAD_SCORE = "error_bad_score"
    ERROR_COUNTER_CLOSED = "error_counter_closed"
    ERROR_COUNTER_IS_PAUSED = "error_counter_is_paused"
    ERROR_NO_TICKET_IN_HAND = "error_no_ticket_in_hand"
    ERROR_TAKEN_OVER = "error_taken_over"
    ERROR_LOG_IN_FIRST = "error_log_in_first"
    ERROR_RATE_LIMITED = "error_rate_limited"
    ERROR_INTERNAL = "error_internal"
    ERROR_MOVED = "error_moved"
    ERROR_UNAVAILABLE = "error_unavailable"
    ERROR_CLOSED = "error_closed"
    ERROR_NOT_FOUND = "error_not_found"
    ERROR_CONFLICT = "error_conflict"
    ERROR_FORBIDDEN = "error_forbidden"
    ERROR_UNAUTHORIZED = "error_unauthorized"
    ERROR_BAD_REQUEST = "error_bad_request"
    ERROR_CONNECTION_LOST = "error_connection_lost"
    ERROR_UNKNOWN = "error_unknown"


PHRASES: dict[Phrase, tuple[str, str]] = {
    Phrase.APP_TITLE: ("Quầy giao dịch", "Counter terminal"),
    Phrase.CONNECTED: ("Đã kết nối", "Connected"),
    Phrase.CONNECTING: ("Đang kết nối tới máy chủ…", "Connecting to the server…"),
    Phrase.RECONNECTING: ("Mất kết nối — đang kết nối lại…", "Connection lost — reconnecting…"),
    Phrase.SWITCH_LANGUAGE: ("English", "Tiếng Việt"),
    Phrase.LOGIN_TITLE: ("Đăng nhập quầy", "Counter login"),
    Phrase.LOGIN_SUBTITLE: ("Cán bộ đăng nhập để bắt đầu gọi số",
                            "Log in to start calling numbers"),
    Phrase.COUNTER: ("Quầy", "Counter"),
    Phrase.USER: ("Tên đăng nhập", "User name"),
    Phrase.PASSWORD: ("Mật khẩu", "Password"),
    Phrase.LOG_IN: ("Đăng nhập", "Log in"),
    Phrase.LOGIN_MISSING: ("Hãy chọn quầy và nhập tên đăng nhập, mật khẩu",
                           "Choose a counter and enter your user name and password"),
    Phrase.OFFICER: ("Cán bộ", "Officer"),
    Phrase.CURRENT_TICKET: ("Số đang phục vụ", "Current ticket"),
    Phrase.NO_TICKET: ("Chưa gọi số", "No ticket called"),
    Phrase.TICKET_CALLED: ("Đang mời", "Called"),
    Phrase.TICKET_SERVING: ("Đang phục vụ", "Serving"),
    Phrase.SERVICE: ("Dịch vụ", "Service"),
    Phrase.PRIORITY: ("Ưu tiên", "Priority"),
    Phrase.NORMAL: ("Thường", "Normal"),
    Phrase.WAITED: ("Đã chờ", "Waited"),
    Phrase.CALLS: ("Số lần gọi", "Calls"),
    Phrase.CASE_CODE: ("Mã hồ sơ", "Case code"),
    Phrase.CASE_CODE_HINT: ("Mã hồ sơ một cửa (không bắt buộc)", "One-stop case code (optional)"),
    Phrase.COUNTER_OPEN: ("Đang mở", "Open"),
    Phrase.COUNTER_PAUSED: ("Tạm nghỉ", "Paused"),
    Phrase.COUNTER_PAUSED_BECAUSE: ("Tạm nghỉ: {reason}", "Paused: {reason}"),
    Phrase.COUNTER_CLOSED: ("Đóng", "Closed"),
    Phrase.CALL_NEXT: ("Gọi tiếp", "Call next"),
    Phrase.RECALL: ("Gọi lại", "Recall"),
    Phrase.CALL_NUMBER: ("Gọi số…", "Call number…"),
    Phrase.START: ("Bắt đầu", "Start"),
    Phrase.NO_SHOW: ("Vắng mặt", "No-show"),
    Phrase.FINISH: ("Hoàn thành", "Finish"),
    Phrase.TRANSFER: ("Chuyển…", "Transfer…"),
    Phrase.PAUSE: ("Tạm nghỉ…", "Pause…"),
    Phrase.RESUME: ("Tiếp tục", "Resume"),
    Phrase.LOG_OUT: ("Đăng xuất", "Log out"),
    Phrase.WAITING_TITLE: ("Danh sách chờ ({count})", "Waiting ({count})"),
    Phrase.NUMBER: ("Số", "Number"),
    Phrase.NOBODY_WAITING: ("Không có ai đang chờ", "Nobody is waiting"),
    Phrase.FIGURES_TITLE: ("Hôm nay tại quầy", "Today at this counter"),
    Phrase.SERVED: ("Đã phục vụ", "Served"),
    Phrase.NO_SHOWS: ("Vắng mặt", "No-shows"),
    Phrase.AVERAGE_WAIT: ("Chờ trung bình", "Average wait"),
    Phrase.AVERAGE_SERVICE: ("Phục vụ trung bình", "Average service"),
    Phrase.RATINGS: ("Đánh giá", "Ratings"),
    Phrase.AVERAGE_SCORE: ("Điểm trung bình", "Average score"),
    Phrase.SECONDS: ("{seconds} giây", "{seconds} s"),
    Phrase.MINUTES: ("{minutes} phút", "{minutes} min"),
    Phrase.HOURS_MINUTES: ("{hours} giờ {minutes} phút", "{hours} h {minutes} min"),
    Phrase.TRANSFER_TITLE: ("Chuyển số {number}", "Transfer ticket {number}"),
    Phrase.TRANSFER_TO_SERVICE: ("Sang dịch vụ khác", "To another service"),
    Phrase.TRANSFER_TO_COUNTER: ("Sang quầy khác", "To another counter"),
    Phrase.OK: ("Đồng ý", "OK"),
    Phrase.CANCEL: ("Huỷ", "Cancel"),
    Phrase.PAUSE_TITLE: ("Tạm nghỉ", "Pause"),
    Phrase.PAUSE_REASON: ("Lý do tạm nghỉ", "Reason for the pause"),
    Phrase.CALL_NUMBER_TITLE: ("Gọi một số", "Call a number"),
    Phrase.CALL_NUMBER_PROMPT: ("Số cần gọi (ví dụ 1005 hoặc A012)",
                                "Number to call (e.g. 1005 or A012)"),
    Phrase.RATING_TITLE: ("Xin Quý khách vui lòng đánh giá mức độ hài lòng",
                          "Please tell us how satisfied you are"),
    Phrase.RATING_TICKET: ("Số thứ tự {number}", "Ticket {number}"),
    Phrase.RATING_REMAINING: ("Còn {seconds} giây", "{seconds} s left"),
    Phrase.RATING_SENDING: ("Đang gửi đánh giá…", "Sending your rating…"),
    Phrase.RATING_THANKS: ("Cảm ơn Quý khách đã đánh giá!", "Thank you for your rating!"),
    Phrase.RATING_EXPIRED: ("Đã hết thời gian đánh giá", "The time to rate is over"),
    Phrase.RECONNECTED: ("Đã kết nối lại với máy chủ.", "Reconnected to the server."),
    Phrase.ACTION_APPLIED: (
        "Mất kết nối khi đang «{action}». Đã kết nối lại: thao tác ĐÃ được thực hiện; "
        "màn hình hiển thị trạng thái thực tế.",
        "The connection dropped during “{action}”. Reconnected: it WAS done; the screen shows "
        "the true state."),
    Phrase.ACTION_NOT_APPLIED: (
        "Mất kết nối khi đang «{action}». Đã kết nối lại: thao tác CHƯA được thực hiện; "
        "bấm lại nếu vẫn cần.",
        "The connection dropped during “{action}”. Reconnected: it was NOT done; press again "
        "if still needed."),
    Phrase.ACTION_UNKNOWN: (
        "Mất kết nối khi đang «{action}». Không xác định được thao tác đã thực hiện hay chưa; "
        "hãy xem trạng thái hiện tại trên màn hình.",
        "The connection dropped during “{action}”. Whether it was done is unknown; check the "
        "state on the screen."),
    Phrase.NOT_CONNECTED: ("Chưa kết nối được với máy chủ; thao tác chưa được gửi.",
                           "Not connected to the server; nothing was sent."),
    Phrase.SESSION_ENDED: ("Phiên làm việc đã kết thúc: {reason}",
                           "Your session has ended: {reason}"),
    Phrase.NEW_DAY: ("Đã sang ngày làm việc mới.", "A new working day has begun."),
    Phrase.TRANSFERRED: ("Đã chuyển số {number} sang {target}.",
                         "Ticket {number} was transferred to {target}."),
    Phrase.PAUSED_NOTICE: ("Quầy đang tạm nghỉ. Bấm «Tiếp tục» để gọi số.",
                           "The counter is paused. Press “Resume” to call numbers."),
    Phrase.RATED_NOTICE: ("Số {number} được đánh giá: {label}.", "Ticket {number} rated: {label}."),
    Phrase.CHANGE_PASSWORD: ("Đổi mật khẩu…", "Change password…"),
    Phrase.CHANGE_PASSWORD_TITLE: ("Đổi mật khẩu", "Change your password"),
    Phrase.CURRENT_PASSWORD: ("Mật khẩu hiện tại", "Current password"),
    Phrase.NEW_PASSWORD: ("Mật khẩu mới", "New password"),
    Phrase.REPEAT_PASSWORD: ("Nhập lại mật khẩu mới", "New password again"),
    Phrase.PASSWORD_RULE: ("Mật khẩu mới cần ít nhất {count} ký tự, không trùng tên đăng nhập "
                           "và phải khác mật khẩu hiện tại.",
                           "The new password needs at least {count} characters, must not be "
                           "your user name and must differ from the current one."),
    Phrase.PASSWORD_CHANGED: ("Đã đổi mật khẩu. Lần đăng nhập sau hãy dùng mật khẩu mới.",
                              "Your password was changed. Use the new one the next time you "
                              "log in."),
    Phrase.CURRENT_PASSWORD_MISSING: ("Hãy nhập mật khẩu hiện tại",
                                      "Enter your current password"),
    Phrase.PASSWORDS_DIFFER: ("Hai lần nhập mật khẩu mới không giống nhau",
                              "The two new passwords are not the same"),
    Phrase.ERROR_NOBODY_WAITING: ("Không còn công dân nào đang chờ", "Nobody is waiting"),
    Phrase.ERROR_WRONG_PASSWORD: ("Sai tên đăng nhập hoặc mật khẩu",
                                  "Wrong user name or password"),
    Phrase.ERROR_TOO_MANY_FAILURES: ("Nhập sai mật khẩu nhiều lần; hãy thử lại sau {seconds} giây",
                                     "Too many wrong passwords; try again in {seconds} s"),
    Phrase.ERROR_CURRENT_PASSWORD_WRONG: ("Mật khẩu hiện tại không đúng",
                                          "The current password is wrong"),
    Phrase.ERROR_PASSWORD_TOO_SHORT: ("Mật khẩu mới cần ít nhất {count} ký tự",
                                      "The new password needs at least {count} characters"),
    Phrase.ERROR_PASSWORD_BLANK: ("Mật khẩu mới không được chỉ gồm dấu cách",
                                  "The new password cannot be only spaces"),
    Phrase.ERROR_PASSWORD_IS_USER: ("Mật khẩu mới không được trùng tên đăng nhập",
                                    "The new password cannot be your user name"),
    Phrase.ERROR_PASSWORD_UNCHANGED: ("Mật khẩu mới phải khác mật khẩu hiện tại",
                                      "The new password must differ from the current one"),
    Phrase.ERROR_NO_OFFICER: ("Không có cán bộ «{user}» tại trung tâm này",
                              "There is no officer “{user}” at this centre"),
    Phrase.ERROR_NOT_ASSIGNED: ("Cán bộ «{user}» không được phân công làm việc tại quầy {counter}",
                                "Officer “{user}” is not assigned to counter {counter}"),
    Phrase.ERROR_COUNTER_BUSY: (
        "Quầy {counter} đang phục vụ công dân của một cán bộ khác; cần hoàn thành trước",
        "Counter {counter} is serving a citizen for another officer; that must be finished "
        "first"),
    Phrase.ERROR_BUSY_ELSEWHERE: ("Bạn đang phục vụ một công dân tại quầy {counter}; "
                                  "hãy hoàn thành ở đó trước",
                                  "You are serving a citizen at counter {counter}; finish there "
                                  "first"),
    Phrase.ERROR_COUNTER_NOT_OPEN: ("Quầy {counter} chưa mở", "Counter {counter} is not open"),
    Phrase.ERROR_STILL_HAS_TICKET: ("Quầy còn số {number} đang phục vụ; hãy hoàn thành trước",
                                    "Ticket {number} is still in hand; finish it first"),
    Phrase.ERROR_PAUSE_WITH_TICKET: (
        "Quầy còn số {number}; hãy hoàn thành hoặc báo vắng mặt trước khi tạm nghỉ",
        "Ticket {number} is still in hand; finish it or mark it no-show before pausing"),
    Phrase.ERROR_NOT_PAUSED: ("Quầy không ở trạng thái tạm nghỉ", "The counter is not paused"),
    Phrase.ERROR_NO_SUCH_NUMBER: ("Hôm nay không có số {number}", "There is no ticket {number} "
                                                                  "today"),
    Phrase.ERROR_NOT_WAITING: ("Số {number} không còn chờ: {status}",
                               "Ticket {number} is no longer waiting: {status}"),
    Phrase.ERROR_TRANSFERRED_ELSEWHERE: ("Số {number} đã được chuyển tới quầy {counter}",
                                         "Ticket {number} was transferred to counter {counter}"),
    Phrase.ERROR_SERVICE_NOT_SERVED: ("Số {number} thuộc dịch vụ mà quầy này không phục vụ",
                                      "Ticket {number} is for a service this counter does not "
                                      "serve"),
    Phrase.ERROR_NOTHING_TO_RECALL: ("Số {number} đang được phục vụ, không cần gọi lại",
                                     "Ticket {number} is already being served; no need to "
                                     "recall"),
    Phrase.ERROR_ALREADY_SERVING: ("Số {number} đang được phục vụ rồi",
                                   "Ticket {number} is already being served"),
    Phrase.ERROR_CITIZEN_CAME: ("Công dân số {number} đã đến và đang được phục vụ, không thể "
                                "báo vắng mặt",
                                "The citizen with ticket {number} came and is being served; "
                                "cannot mark a no-show"),
    Phrase.ERROR_SAME_SERVICE: ("Số {number} đã thuộc dịch vụ này",
                                "Ticket {number} is already for this service"),
    Phrase.ERROR_SAME_COUNTER: ("Không thể chuyển sang chính quầy này",
                                "Cannot transfer to this same counter"),
    Phrase.ERROR_NO_SUCH_SERVICE: ("Không có dịch vụ {service}", "There is no service {service}"),
    Phrase.ERROR_NO_SUCH_COUNTER: ("Không có quầy {counter}", "There is no counter {counter}"),
    Phrase.ERROR_ALREADY_RATED: ("Số {number} đã được đánh giá rồi",
                                 "Ticket {number} has already been rated"),
    Phrase.ERROR_RATING_CLOSED: ("Đã hết thời gian đánh giá cho số {number}",
                                 "The time to rate ticket {number} is over"),
    Phrase.ERROR_RATED_ELSEWHERE: ("Số {number} được phục vụ tại quầy khác",
                                   "Ticket {number} was served at another counter"),
    Phrase.ERROR_NOT_SERVED_YET: ("Chỉ đánh giá được khi đã phục vụ xong",
                                  "Only a finished service can be rated"),
    Phrase.ERROR_BAD_SCORE: ("Mức đánh giá không hợp lệ", "That rating is not on the scale"),
    Phrase.ERROR_COUNTER_CLOSED: ("Quầy {counter} đang đóng; hãy đăng nhập",
                                  "Counter {counter} is closed; log in first"),
    Phrase.ERROR_COUNTER_IS_PAUSED: ("Quầy đang tạm nghỉ; hãy bấm «Tiếp tục» trước",
                                     "The counter is paused; press “Resume” first"),
    Phrase.ERROR_NO_TICKET_IN_HAND: ("Quầy chưa có số nào đang gọi hoặc đang phục vụ",
                                     "No ticket is called or being served at this counter"),
    Phrase.ERROR_TAKEN_OVER: ("Một cán bộ khác đã đăng nhập quầy {counter}",
                              "Another officer has logged in at counter {counter}"),
    Phrase.ERROR_LOG_IN_FIRST: ("Hãy đăng nhập quầy trước", "Log in to a counter first"),
    Phrase.ERROR_RATE_LIMITED: ("Thao tác quá nhanh; xin chờ một chút rồi thử lại",
                                "Too many requests; wait a moment and try again"),
    Phrase.ERROR_INTERNAL: ("Máy chủ chưa lưu được thay đổi; chưa có gì thay đổi, hãy thử lại",
                            "The server could not save the change; nothing changed, try again"),
    Phrase.ERROR_MOVED: ("Trung tâm vừa chuyển sang máy chủ khác; chưa có gì thay đổi, đang "
                         "kết nối lại, hãy thử lại",
                         "The centre just moved to another server; nothing changed, "
                         "reconnecting: try again"),
    Phrase.ERROR_UNAVAILABLE: ("Cơ sở dữ liệu đang chuyển sang máy dự phòng; chưa lưu được, "
                               "xem lại danh sách rồi thử lại sau ít giây",
                               "The database is switching to its standby; not saved: check "
                               "the list and try again in a few seconds"),
    Phrase.ERROR_CLOSED: ("Ngoài giờ cấp số hoặc đã hết số trong ngày",
                          "Outside issuing hours, or the day's numbers are used up"),
    Phrase.ERROR_NOT_FOUND: ("Không tìm thấy", "Not found"),
    Phrase.ERROR_CONFLICT: ("Thao tác không phù hợp với trạng thái hiện tại",
                            "This cannot be done in the current state"),
    Phrase.ERROR_FORBIDDEN: ("Bạn không có quyền thực hiện thao tác này",
                             "You may not do this"),
    Phrase.ERROR_UNAUTHORIZED: ("Máy tính quầy chưa được cấp quyền kết nối (mã thiết bị sai?)",
                                "This terminal is not authorised (wrong device token?)"),
    Phrase.ERROR_BAD_REQUEST: ("Yêu cầu không hợp lệ", "The request is not valid"),
    Phrase.ERROR_CONNECTION_LOST: ("Mất kết nối với máy chủ", "The connection to the server was "
                                                              "lost"),
    Phrase.ERROR_UNKNOWN: ("Đã có lỗi xảy ra", "Something went wrong"),
}

TICKET_STATUS_WORDS: dict[str, tuple[str, str]] = {
    "waiting": ("đang chờ", "waiting"),
    "called": ("đã được mời", "called"),
    "serving": ("đang được phục vụ", "being served"),
    "done": ("đã được phục vụ xong", "already served"),
    "no_show": ("đã vắng mặt", "marked no-show"),
    "cancelled": ("đã bị huỷ", "cancelled"),
    "transferred": ("đã được chuyển", "transferred"),
}

PAUSE_REASONS: tuple[tuple[str, str], ...] = (
    ("Nghỉ trưa", "Lunch break"),
    ("Họp", "Meeting"),
    ("Hỗ trợ quầy khác", "Helping another counter"),
    ("Việc riêng", "Personal matter"),
)
"""Reasons offered in the pause dialog (any other text can be typed)."""


def translate(phrase: Phrase, language: Language, **values: object) -> str:
    """``phrase`` in ``language`` with ``{name}`` placeholders filled from ``values``."""
    vietnamese, english = PHRASES[phrase]
    template = vietnamese if language is Language.VIETNAMESE else english
    return template.format(**values) if values else template


def status_word(status: str, language: Language) -> str:
    """A ticket status (``called``...) in words."""
    words = TICKET_STATUS_WORDS.get(status)
    if words is None:
        return status
    return words[0] if language is Language.VIETNAMESE else words[1]


@dataclass(frozen=True, slots=True)
class _ErrorPattern:
    pattern: re.Pattern[str]
    phrase: Phrase


def _pattern(regex: str, phrase: Phrase) -> _ErrorPattern:
    return _ErrorPattern(re.compile(regex), phrase)


# Server messages (server/domain/rules.py, server/app/session.py, the password rule's reasons
# in server/security.py) -> phrases. More specific patterns come first. Named groups fill the
# phrase's placeholders.
_QUOTED = r"'?(?P<{name}>[^'\s]+)'?"
_ERROR_PATTERNS: tuple[_ErrorPattern, ...] = (
    _pattern(r"current_password'?: the password is wrong", Phrase.ERROR_CURRENT_PASSWORD_WRONG),
    _pattern(r"new_password'?: must have at least (?P<count>\d+) characters",
             Phrase.ERROR_PASSWORD_TOO_SHORT),
    _pattern(r"new_password'?: must not be only spaces", Phrase.ERROR_PASSWORD_BLANK),
    _pattern(r"new_password'?: must not be the user name", Phrase.ERROR_PASSWORD_IS_USER),
    _pattern(r"new_password'?: must differ from the current password",
             Phrase.ERROR_PASSWORD_UNCHANGED),
    _pattern(r"too many failed sign-ins .*try again in (?P<seconds>\d+) s",
             Phrase.ERROR_TOO_MANY_FAILURES),
    _pattern(r"nobody is waiting", Phrase.ERROR_NOBODY_WAITING),
    _pattern(r"user or password is wrong", Phrase.ERROR_WRONG_PASSWORD),
    _pattern(r"no officer " + _QUOTED.format(name="user"), Phrase.ERROR_NO_OFFICER),
    _pattern(r"officer " + _QUOTED.format(name="user") + r" is not assigned to counter "
             r"(?P<counter>\S+)", Phrase.ERROR_NOT_ASSIGNED),
    _pattern(r"counter (?P<counter>\S+) is serving a ticket for", Phrase.ERROR_COUNTER_BUSY),
    _pattern(r"officer \S+ is serving a ticket at counter (?P<counter>[^;\s]+)",
             Phrase.ERROR_BUSY_ELSEWHERE),
    _pattern(r"counter (?P<counter>\S+) is not open", Phrase.ERROR_COUNTER_NOT_OPEN),
    _pattern(r"still has ticket (?P<number>[^;\s]+)", Phrase.ERROR_STILL_HAS_TICKET),
    _pattern(r"has ticket (?P<number>\S+) in hand", Phrase.ERROR_PAUSE_WITH_TICKET),
    _pattern(r"not paused", Phrase.ERROR_NOT_PAUSED),
    _pattern(r"no ticket " + _QUOTED.format(name="number") + r" today",
             Phrase.ERROR_NO_SUCH_NUMBER),
    _pattern(r"ticket (?P<number>\S+) is (?P<status>[a-z_]+)(?: at counter \S+)?, not waiting",
             Phrase.ERROR_NOT_WAITING),
    _pattern(r"ticket (?P<number>\S+) was transferred to counter (?P<counter>\S+)",
             Phrase.ERROR_TRANSFERRED_ELSEWHERE),
    _pattern(r"ticket (?P<number>\S+) waits for service .* does not serve",
             Phrase.ERROR_SERVICE_NOT_SERVED),
    _pattern(r"ticket (?P<number>\S+) is already being served; nothing to recall",
             Phrase.ERROR_NOTHING_TO_RECALL),
    _pattern(r"ticket (?P<number>\S+) is already being served", Phrase.ERROR_ALREADY_SERVING),
    _pattern(r"ticket (?P<number>\S+) is being served; the citizen came",
             Phrase.ERROR_CITIZEN_CAME),
    _pattern(r"ticket (?P<number>\S+) is already for service", Phrase.ERROR_SAME_SERVICE),
    _pattern(r"cannot transfer a ticket to the counter it is at", Phrase.ERROR_SAME_COUNTER),
    _pattern(r"no service " + _QUOTED.format(name="service"), Phrase.ERROR_NO_SUCH_SERVICE),
    _pattern(r"no counter " + _QUOTED.format(name="counter"), Phrase.ERROR_NO_SUCH_COUNTER),
    _pattern(r"ticket (?P<number>\S+) has already been rated", Phrase.ERROR_ALREADY_RATED),
    _pattern(r"rating window .* for ticket (?P<number>\S+) has closed",
             Phrase.ERROR_RATING_CLOSED),
    _pattern(r"ticket (?P<number>\S+) was served at counter \S+, not this one",
             Phrase.ERROR_RATED_ELSEWHERE),
    _pattern(r"only a served ticket can be rated", Phrase.ERROR_NOT_SERVED_YET),
    _pattern(r"score: must be one of", Phrase.ERROR_BAD_SCORE),
    _pattern(r"counter (?P<counter>\S+) is closed; log in first", Phrase.ERROR_COUNTER_CLOSED),
    _pattern(r"counter \S+ is paused; resume it first", Phrase.ERROR_COUNTER_IS_PAUSED),
    _pattern(r"counter \S+ has no ticket in hand", Phrase.ERROR_NO_TICKET_IN_HAND),
    _pattern(r"no longer logged in at counter (?P<counter>\S+)", Phrase.ERROR_TAKEN_OVER),
    _pattern(r"log in to a counter first", Phrase.ERROR_LOG_IN_FIRST),
)

_CODE_PHRASES: dict[str, Phrase] = {
    "not_found": Phrase.ERROR_NOT_FOUND,
    "conflict": Phrase.ERROR_CONFLICT,
    "forbidden": Phrase.ERROR_FORBIDDEN,
    "unauthorized": Phrase.ERROR_UNAUTHORIZED,
    "bad_request": Phrase.ERROR_BAD_REQUEST,
    "rate_limited": Phrase.ERROR_RATE_LIMITED,
    "internal": Phrase.ERROR_INTERNAL,
    "moved": Phrase.ERROR_MOVED,
    "unavailable": Phrase.ERROR_UNAVAILABLE,
    "closed": Phrase.ERROR_CLOSED,
    "connection_lost": Phrase.ERROR_CONNECTION_LOST,
    "not_connected": Phrase.NOT_CONNECTED,
}


def describe_password_problem(problem: str, language: Language) -> str:
    """A reason of the password rule (server.security.password_problem) in plain words, as
    the server's refusal of that new password would be said."""
    return describe_error("bad_request", f"field 'new_password': {problem}", language)


def describe_error(code: str, message: str, language: Language) -> str:
    """A server error (wire ``code`` and ``message``) as a plain sentence in ``language``.

    Known messages get their own sentence with the number, counter or officer they name;
    anything else gets the sentence for its code (``conflict`` -> "Thao tác không phù hợp với
    trạng thái hiện tại"). Never returns the raw English message in Vietnamese mode.
    """
    for candidate in _ERROR_PATTERNS:
        found = candidate.pattern.search(message)
        if found is None:
            continue
        values: dict[str, object] = {key: value.rstrip(".,;)") for key, value
                                     in found.groupdict().items() if value is not None}
        if "status" in values:
            values["status"] = status_word(str(values["status"]), language)
        return translate(candidate.phrase, language, **values)
    return translate(_CODE_PHRASES.get(code, Phrase.ERROR_UNKNOWN), language)
