"""Small pure parts of the display app: counter names, announcements, texts, options."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest

from display.announcing import announcement_for
from display.board import Call, CallKind
from display.counter_names import counter_display_parts, spoken_counter
from display.main import main
from display.settings import DEFAULT_SERVER, DEFAULT_SITE, DEFAULT_TOKEN, parse_arguments
from display.texts import counter_status_label, format_clock, format_date, weekday_name
from display.voice import AnnouncementKind, NumberReading
from display.voice.clips import Language


@pytest.mark.parametrize(("code", "name", "spoken", "shown"), [
    ("3", "Quầy 3", "3", ("3", "")),
    ("Q08", "Quầy 8 - Trả kết quả", "8", ("8", "Trả kết quả")),
    ("Q03", "Quầy số 3", "3", ("3", "")),
    ("12", "quầy 12: Hộ tịch", "12", ("12", "Hộ tịch")),
    ("B2", "Counter B2", "B2", ("B2", "")),
    ("TD", "Bàn tiếp dân", "TD", ("Bàn tiếp dân", "")),
    ("X1", "", "X1", ("X1", "")),
])
def test_counter_names(code: str, name: str, spoken: str, shown: tuple[str, str]) -> None:
    assert spoken_counter(code, name) == spoken
    assert counter_display_parts(code, name) == shown


def test_announcement_for_calls_and_recalls() -> None:
    call = Call("id", "1005", "Q03", "Quầy 3", "HT", "Khai sinh", "", CallKind.CALL)
    first = announcement_for(call)
    assert (first.ticket, first.counter, first.kind) == ("1005", "3", AnnouncementKind.CALL)
    again = announcement_for(Call("id", "1005", "Q03", "Quầy 3", "HT", "", "", CallKind.RECALL))
    assert again.kind is AnnouncementKind.RECALL


def test_dates_and_clock_in_vietnamese() -> None:
    assert format_date(date(2026, 11, 22)) == "Chủ Nhật, 22/11/2026"
    assert format_date(date(2026, 11, 23)) == "Thứ Hai, 23/11/2026"
    assert [weekday_name(date(2026, 11, 16 + day)) for day in range(7)] == [
        "Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ Nhật"]
    assert format_clock(datetime(2026, 11, 22, 8, 5, 9)) == "08:05:09"
    assert counter_status_label("paused").vietnamese == "Tạm dừng"
    assert counter_status_label("open").vietnamese == ""
    assert counter_status_label("strange").english == "Closed"


def test_default_options_match_the_demo() -> None:
    settings, level = parse_arguments([])
    assert (settings.connection.url, settings.connection.token, settings.connection.site) == (
        DEFAULT_SERVER, DEFAULT_TOKEN, DEFAULT_SITE)
    assert settings.board.zone is None and not settings.windowed and level == "INFO"
    assert settings.voice is not None and settings.voice.phrases.languages == (
        Language.VIETNAMESE,)


def test_options(tmp_path: Path) -> None:
    settings, _ = parse_arguments([
        "--server", "ws://10.0.0.5:8765/ws", "--token", "tv-token-123456", "--site", "ubnd-p1",
        "--zone", "T2", "--windowed", "--number-reading", "digits", "--lang", "vi", "en",
        "--voice-pack", str(tmp_path), "--recent", "8", "--stale-after", "5"])
    assert settings.connection.url == "ws://10.0.0.5:8765/ws"
    assert settings.board.zone == "T2" and settings.board.recent_limit == 8
    assert settings.board.stale_after_seconds == 5.0 and settings.windowed
    assert settings.voice is not None
    assert settings.voice.phrases.ticket_reading is NumberReading.DIGITS
    assert settings.voice.phrases.languages == (Language.VIETNAMESE, Language.ENGLISH)
    assert settings.voice.pack_directory == tmp_path
    silent, _ = parse_arguments(["--no-sound"])
    assert silent.voice is None


def test_bad_options_exit_with_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--server", "http://wrong"]) == 2
    assert "ws:// or wss://" in capsys.readouterr().err
    assert main(["--recent", "0"]) == 2
    with pytest.raises(SystemExit) as exit_info:
        main(["--lang", "fr"])
    assert exit_info.value.code == 2
