"""Server errors in plain Vietnamese (and English), and the command line."""

from __future__ import annotations

import pytest

from counter.errors import SettingsError
from counter.settings import Language, parse_settings, websocket_url
from counter.texts import PHRASES, Phrase, describe_error

VI = Language.VIETNAMESE


@pytest.mark.parametrize(("code", "message", "expected"), [
    ("not_found", "nobody is waiting for counter 1 (không còn ai chờ)",
     "Không còn công dân nào đang chờ"),
    ("unauthorized", "user or password is wrong", "Sai tên đăng nhập hoặc mật khẩu"),
    ("forbidden", "officer 'lan' is not assigned to counter 3",
     "Cán bộ «lan» không được phân công làm việc tại quầy 3"),
    ("not_found", "number: no ticket 'A999' today", "Hôm nay không có số A999"),
    ("conflict", "ticket 1001 is called at counter 2, not waiting",
     "Số 1001 không còn chờ: đã được mời"),
    ("conflict", "ticket 1001 is done, not waiting", "Số 1001 không còn chờ: đã được phục vụ xong"),
    ("conflict", "ticket 1001 was transferred to counter 3",
     "Số 1001 đã được chuyển tới quầy 3"),
    ("conflict", "ticket A001 waits for service 'HT', which counter 1 does not serve",
     "Số A001 thuộc dịch vụ mà quầy này không phục vụ"),
    ("conflict", "ticket 1001 is already being served; nothing to recall",
     "Số 1001 đang được phục vụ, không cần gọi lại"),
    ("conflict", "ticket 1001 is already being served", "Số 1001 đang được phục vụ rồi"),
    ("conflict", "ticket 1001 is being served; the citizen came",
     "Công dân số 1001 đã đến và đang được phục vụ, không thể báo vắng mặt"),
    ("conflict", "counter 1 has ticket 1001 in hand; finish or mark it no-show before pausing",
     "Quầy còn số 1001; hãy hoàn thành hoặc báo vắng mặt trước khi tạm nghỉ"),
    ("conflict", "counter 1 is paused; resume it first",
     "Quầy đang tạm nghỉ; hãy bấm «Tiếp tục» trước"),
    ("conflict", "counter 1 has no ticket in hand",
     "Quầy chưa có số nào đang gọi hoặc đang phục vụ"),
    ("conflict", "counter: cannot transfer a ticket to the counter it is at",
     "Không thể chuyển sang chính quầy này"),
    ("conflict", "ticket 1001 has already been rated", "Số 1001 đã được đánh giá rồi"),
    ("conflict", "the rating window of 30 s for ticket 1001 has closed",
     "Đã hết thời gian đánh giá cho số 1001"),
    ("forbidden", "you are no longer logged in at counter 1",
     "Một cán bộ khác đã đăng nhập quầy 1"),
    ("rate_limited", "more than 50 requests a second; slow down",
     "Thao tác quá nhanh; xin chờ một chút rồi thử lại"),
    ("internal", "the change could not be saved; nothing was changed, try again",
     "Máy chủ chưa lưu được thay đổi; chưa có gì thay đổi, hãy thử lại"),
    ("conflict", "something new the app does not know",
     "Thao tác không phù hợp với trạng thái hiện tại"),
    ("weird", "?", "Đã có lỗi xảy ra"),
])
def test_errors_in_plain_vietnamese(code: str, message: str, expected: str) -> None:
    assert describe_error(code, message, VI) == expected


def test_errors_in_english() -> None:
    assert describe_error("not_found", "nobody is waiting for counter 1",
                          Language.ENGLISH) == "Nobody is waiting"


def test_every_phrase_has_both_languages_and_the_same_placeholders() -> None:
    assert set(PHRASES) == set(Phrase)
    for vietnamese, english in PHRASES.values():
        assert vietnamese and english
        assert _placeholders(vietnamese) == _placeholders(english)


def _placeholders(text: str) -> set[str]:
    import string

    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_command_line() -> None:
    token = ["--token", "counter-token-0001"]
    settings = parse_settings(["--server", "http://10.0.0.5:8765", "--counter", "Q01",
                               "--lang", "en", "--windowed", *token])
    assert settings.connection.server_url == "ws://10.0.0.5:8765/ws"
    assert settings.connection.token == "counter-token-0001"
    assert settings.connection.site is None  # the server finds it from the token
    assert parse_settings(["--site", "hcc-tinh", *token]).connection.site == "hcc-tinh"
    assert settings.connection.language is Language.ENGLISH
    assert (settings.counter, settings.windowed) == ("Q01", True)
    assert parse_settings(token).counter is None


@pytest.mark.parametrize(("text", "url"), [
    ("ws://127.0.0.1:8765/ws", "ws://127.0.0.1:8765/ws"),
    ("127.0.0.1:8765", "ws://127.0.0.1:8765/ws"),
    ("https://qms.example.vn", "wss://qms.example.vn/ws"),
])
def test_server_addresses(text: str, url: str) -> None:
    assert websocket_url(text) == url


def test_a_bad_server_address_is_refused() -> None:
    with pytest.raises(SettingsError):
        websocket_url("ftp://x")
