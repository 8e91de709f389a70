"""The configuration rules' reasons in Vietnamese, for the administration pages.

The rules (server.config) give each reason in English, the language of the TOML file, the
logs and the command line. The pages are read in Vietnamese first, so :func:`in_vietnamese`
says each kind of reason again in Vietnamese, keeping the values and keys it quotes. A
reason no pattern knows stays in English: a new rule is never hidden, only untranslated (a
test runs every rule of the loader's test through it, so such a rule shows up there).
"""

from __future__ import annotations

import re

# (pattern of the whole reason, its Vietnamese): the groups keep the quoted values.
_PATTERNS: tuple[tuple[str, str], ...] = (
    (r"is required \(is '(.+)' a misspelling of it\?\)",
     r"bắt buộc phải có (có phải '\1' là viết sai của nó?)"),
    (r"is required \(or name a number_group\)", "bắt buộc (hoặc chọn một nhóm số)"),
    (r"is required when host is '(.+?)' \(.*\)",
     r"bắt buộc khi host là '\1' (mã QR trên phiếu cần một địa chỉ điện thoại mở được)"),
    (r"is required", "bắt buộc phải có"),
    (r"must be more than 0, got (.+)", r"phải lớn hơn 0 (đang là \1)"),
    (r"must be at least (\S+), got (.+)", r"phải từ \1 trở lên (đang là \2)"),
    (r"must be at most (\S+), got (.+)", r"không được quá \1 (đang là \2)"),
    (r"must be a whole number, not a boolean", "phải là số nguyên"),
    (r"must be a whole number, got (.+)", r"phải là số nguyên (đang là \1)"),
    (r"must be a number, got (.+)", r"phải là số (đang là \1)"),
    (r"must be text, got (.+)", r"phải là chữ (đang là \1)"),
    (r"must be true or false, got (.+)", r"phải là có hoặc không (đang là \1)"),
    (r"must be a list, got (.+)", r"phải là một danh sách (đang là \1)"),
    (r"must be a table, got (.+)", r"phải là một bảng (đang là \1)"),
    (r"must be (\S+) or (\S+), got (.+)", r"phải là \1 hoặc \2 (đang là \3)"),
    (r"must be (.+) or (\S+), got ([^:]+): (.+)", r"phải là \1 hoặc \2 (đang là \3): \4"),
    (r"must be (.+) or (\S+), got (.+)", r"phải là \1 hoặc \2 (đang là \3)"),
    (r"'(.+)' is not a code \(letters, digits, '-', '_', '\.'; at most 32\)",
     r"'\1' không phải là mã hợp lệ (chữ không dấu, số, '-', '_', '.'; tối đa 32 ký tự)"),
    (r"'(.+)' cannot be a site's code: the booking pages use (\S+) for themselves "
     r"\(choose another\)",
     r"'\1' không dùng được làm mã trung tâm: trang đặt lịch đã dùng \2 (chọn mã khác)"),
    (r"'(.+)' is not a number format: .*",
     r"'\1' không phải dạng số: dùng tiền tố như 'A###' hoặc dải như '1001-1999'"),
    (r"'(.+)' is not opening hours like '(.+)'", r"'\1' không phải giờ mở cửa dạng '\2'"),
    (r"'(.+)': (\S+) overlaps (\S+)", r"'\1': buổi \2 trùng với buổi \3"),
    (r"'(.+)': (\S+) starts as (\S+) ends; write them as one session \((\S+)\)",
     r"'\1': buổi \2 bắt đầu đúng lúc buổi \3 kết thúc; gộp thành một buổi (\4)"),
    (r"'(.+)': a time must be 00:00 to 23:59 \(a session may end at 24:00\)",
     r"'\1': giờ phải từ 00:00 đến 23:59 (một buổi có thể kết thúc lúc 24:00)"),
    (r"'(.+)': sessions must be in the order of the day \((\S+) comes before (\S+)\)",
     r"'\1': các buổi phải theo thứ tự trong ngày (\2 trước \3)"),
    (r"'(.+)': the range ends before it starts", r"'\1': ngày kết thúc trước ngày bắt đầu"),
    (r"'(.+)' is not a date: .*", r"'\1' không phải ngày hợp lệ"),
    (r"'(.+)' is not a date like '(.+)' \(year-month-day\)",
     r"'\1' không phải ngày dạng '\2' (năm-tháng-ngày)"),
    (r"'(.+)' is not a session like '(.+?)' .*",
     r"'\1' không phải buổi làm việc dạng '\2' (các buổi trong ngày viết như "
     r"'07:30-11:30, 13:30-17:00', hoặc để trống nếu nghỉ)"),
    (r"give either issue_hours or opening_hours, not both.*",
     "chỉ dùng một: issue_hours hoặc opening_hours (giờ làm việc thay cho issue_hours)"),
    (r"(\d+) is more than per_person_per_day \((\d+)\): a person could never use it",
     r"\1 nhiều hơn số lượt mỗi người mỗi ngày (\2): không ai dùng hết được"),
    (r"takes bookings on no day of the week.*",
     "không nhận đặt lịch ngày nào trong tuần: điền giờ các ngày nhận đặt lịch, hoặc bỏ "
     "trống để theo giờ làm việc"),
    (r"opens on no day of the week.*",
     "không mở ngày nào trong tuần: điền giờ các ngày làm việc, hoặc bỏ giờ làm việc để "
     "cấp số bất cứ lúc nào"),
    (r"'(.+)': hour must be in 0\.\.23", r"'\1': giờ phải từ 0 đến 23"),
    (r"'(.+)': closing must come after opening", r"'\1': giờ đóng phải sau giờ mở"),
    (r"'(.+)' is not an address like '(.+)'", r"'\1' không phải địa chỉ dạng '\2'"),
    (r"unknown time zone '(.+)'", r"không có múi giờ '\1'"),
    (r"(\d+) is more than the (\d+) numbers a day that number group '(.+)' can give out",
     r"\1 vượt quá \2 số mỗi ngày mà nhóm số '\3' cấp được"),
    (r"code '(.+)' appears twice \(also at (.+)\)", r"mã '\1' bị trùng (đã có ở \2)"),
    (r"user '(.+)' appears twice \(also at (.+)\)",
     r"tên đăng nhập '\1' bị trùng (đã có ở \2)"),
    (r"score '(.+)' appears twice \(also at (.+)\)", r"điểm '\1' bị trùng (đã có ở \2)"),
    (r"(\w+) '(.+)' appears twice \(also at (.+)\)", r"'\2' bị trùng (đã có ở \3)"),
    (r"no counter serves it: .*",
     "chưa có quầy nào phục vụ: thêm vào danh sách thủ tục của một quầy, hoặc bỏ thủ tục"),
    (r"no counter '(.+)'", r"không có quầy '\1'"),
    (r"no zone '(.+)'", r"không có khu vực '\1'"),
    (r"no field '(.+)'", r"không có lĩnh vực '\1'"),
    (r"no service '(.+)'", r"không có thủ tục '\1'"),
    (r"no number group '(.+)'", r"không có nhóm số '\1'"),
    (r"no site '(.+)'", r"không có trung tâm '\1'"),
    (r"no priority group '(.+)'", r"không có đối tượng ưu tiên '\1'"),
    (r"give either numbers or number_group, not both",
     "chỉ chọn một: dạng số riêng hoặc nhóm số"),
    (r"gives service '(.+?)' its own number group named after it, but (.+) already defines "
     r"a number group '(.+?)'.*",
     r"tạo nhóm số riêng tên '\1', nhưng \2 đã có nhóm số '\3': chọn nhóm '\3' hoặc đổi tên"),
    (r"prefix '(.+)' is already used by number group '(.+)' \((.+)\); .*",
     r"tiền tố '\1' đã dùng cho nhóm số '\2' (\3); hai nhóm không được in trùng số"),
    (r"range (\S+) overlaps (\S+) of number group '(.+)' \((.+)\); .*",
     r"dải \1 trùng với dải \2 của nhóm số '\3' (\4); hai nhóm không được in trùng số"),
    (r"range '(.+)' must run upwards from 1 or more",
     r"dải '\1' phải tăng dần và bắt đầu từ 1 trở lên"),
    (r"range '(.+)' has leading zeros.*",
     r"dải '\1' có số 0 ở đầu, dải số không in được; dùng dạng tiền tố như 'A###' hoặc "
     r"bỏ số 0 ở đầu"),
    (r"a bridge token must list the counters .*",
     "cầu nối phải liệt kê các quầy có bàn phím, bảng LED, thiết bị đánh giá nó điều khiển"),
    (r"only a bridge token lists counters", "chỉ cầu nối mới liệt kê quầy"),
    (r"only a (.+) token has a (.+)", r"chỉ thiết bị loại \1 mới có \2"),
    (r"a counter must serve at least one service", "một quầy phải phục vụ ít nhất một thủ tục"),
    (r"at least one service is required", "cần ít nhất một thủ tục"),
    (r"at least one counter is required", "cần ít nhất một quầy"),
    (r"at least one site is required", "cần ít nhất một trung tâm"),
    (r"a manager must list the sites they manage", "tài khoản quản lý phải liệt kê trung tâm"),
    (r"a province account sees every site: list none",
     "tài khoản cấp tỉnh xem mọi trung tâm: không liệt kê trung tâm nào"),
    (r"unknown key; did you mean '(.+)'\?", r"không có mục này; có phải là '\1'?"),
    (r"unknown key.*", "không có mục này (gõ sai, hoặc phiên bản này không có)"),
    (r"is the same token as a server-wide admin token; every token must be unique",
     "trùng với mã quản trị của máy chủ; mọi mã phải khác nhau"),
    (r"is the same token as (.+); every token must be unique",
     r"trùng với mã ở \1; mọi mã phải khác nhau"),
    (r"must be at least (\d+) characters.*", r"phải có ít nhất \1 ký tự"),
    (r"must have at least (\d+) characters", r"phải có ít nhất \1 ký tự"),
    (r"must not be only spaces", "không được chỉ có dấu cách"),
    (r"must not be the user name", "không được trùng tên đăng nhập"),
    (r"must differ from the current password", "phải khác mật khẩu hiện tại"),
    (r"must be a hash made by 'qms hash-password', not a plain password",
     "phải là mã băm tạo bởi 'qms hash-password', không phải mật khẩu"),
    (r"is not a complete hash; .*",
     "không phải mã băm đầy đủ; chép toàn bộ kết quả của 'qms hash-password'"),
)
_COMPILED = tuple((re.compile(pattern, re.S), template) for pattern, template in _PATTERNS)


def in_vietnamese(reason: str) -> str:
    """``reason`` (a configuration rule's, in English) said in Vietnamese; unchanged when no
    pattern knows it."""
    for pattern, template in _COMPILED:
        found = pattern.fullmatch(reason)
        if found:
            return found.expand(template)
    return reason
