"""Small pure parts of the display app: counter names, announcements, texts, options."""

from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import Path

import pytest

from display.announcing import announcement_for
from display.board import Call, CallKind
from display.counter_names import counter_display_parts, spoken_counter
from display.errors import DisplaySettingsError
from display.main import main
from display.settings import DEFAULT_SERVER, parse_arguments
from display.texts import counter_status_label, format_clock, format_date, weekday_name
from display.voice import (
    DEFAULT_PACK_DIRECTORY,
    Announcement,
    AnnouncementKind,
    AnnouncementQueue,
    AnnouncementRenderer,
    NumberReading,
    WavFileSink,
    read_wav,
)
from display.voice.clips import Language
from display.voice.number_words import FiveAfterTens, FourAfterTens, ThousandWord, ZeroTens


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


def test_defaults_need_a_token_and_no_site(capsys: pytest.CaptureFixture[str]) -> None:
    # No default token: a real centre's TV must not quietly try the demo's (nor, when it
    # was never enrolled, anything stored).
    with pytest.raises(DisplaySettingsError, match="--token is required"):
        parse_arguments([])
    settings, level = parse_arguments(["--token", "tv-token-123456"])
    assert (settings.connection.url, settings.connection.token, settings.connection.site) == (
        DEFAULT_SERVER, "tv-token-123456", None)  # the server finds the site from the token
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
    assert settings.connection.site == "ubnd-p1"
    silent, _ = parse_arguments(["--token", "t", "--no-sound"])
    assert silent.voice is None


def test_bad_options_exit_with_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--token", "t", "--server", "http://wrong"]) == 2
    assert "ws:// or wss://" in capsys.readouterr().err
    assert main(["--token", "t", "--recent", "0"]) == 2
    with pytest.raises(SystemExit) as exit_info:
        main(["--token", "t", "--lang", "fr"])
    assert exit_info.value.code == 2


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_voice_config_file_reaches_every_voice_setting(tmp_path: Path) -> None:
    config = write(tmp_path / "voice.toml", """
[voice]
zero_tens = "lẻ"
thousand = "ngàn"
five_after_tens = "nhăm"
four_after_tens = "bốn"
counter_reading = "digits"
ticket_reading = "digits"
languages = ["vi", "en"]
chime = false
recall_opening = false
word_gap_ms = 20
sentence_gap_ms = 300
max_pending = 7
""")
    settings, _ = parse_arguments(["--token", "t", "--voice-config", str(config)])
    voice = settings.voice
    assert voice is not None
    style = voice.phrases.number_style
    assert (style.zero_tens, style.thousand) == (ZeroTens.LE, ThousandWord.NGAN)
    assert (style.five_after_tens, style.four_after_tens) == (FiveAfterTens.NHAM,
                                                              FourAfterTens.BON)
    assert voice.phrases.counter_reading is NumberReading.DIGITS
    assert voice.phrases.ticket_reading is NumberReading.DIGITS
    assert voice.phrases.languages == (Language.VIETNAMESE, Language.ENGLISH)
    assert not voice.phrases.chime and not voice.phrases.recall_opening
    assert (voice.word_gap_ms, voice.sentence_gap_ms, voice.max_pending) == (20, 300, 7)
    # The command line's own voice options win over the file.
    override, _ = parse_arguments(["--token", "t", "--voice-config", str(config),
                                   "--number-reading", "words", "--lang", "en"])
    assert override.voice is not None
    assert override.voice.phrases.ticket_reading is NumberReading.WORDS
    assert override.voice.phrases.languages == (Language.ENGLISH,)
    assert override.voice.phrases.number_style.zero_tens is ZeroTens.LE  # the rest stays


def test_voice_config_with_le_and_ngan_is_what_the_announcement_says(tmp_path: Path) -> None:
    config = write(tmp_path / "voice.toml", '[voice]\nzero_tens = "le"\nthousand = "ngan"\n')
    settings, _ = parse_arguments(["--token", "t", "--voice-config", str(config)])
    assert settings.voice is not None
    renderer = AnnouncementRenderer.from_settings(settings.voice)
    sentence = renderer.clips(Announcement("1005", "3"))[-1]  # after the chime
    start = sentence.index("vi/mot")
    assert sentence[start:start + 6] == ["vi/mot", "vi/ngan", "vi/khong", "vi/tram", "vi/le",
                                         "vi/nam"]  # một ngàn không trăm lẻ năm
    # What the queue writes holds the pack's lẻ and ngàn recordings, not linh and nghìn.
    path = tmp_path / "announcement.wav"
    sink = WavFileSink(path)
    queue = AnnouncementQueue(renderer, sink, max_pending=settings.voice.max_pending)
    queue.submit(Announcement("1005", "3"))
    sink.close()
    _, written = read_wav(path)

    def clip(name: str) -> bytes:
        return read_wav(DEFAULT_PACK_DIRECTORY / "vi" / f"{name}.wav")[1]

    assert clip("le") in written and clip("ngan") in written
    assert clip("linh") not in written and clip("nghin") not in written


@pytest.mark.parametrize(("text", "named"), [
    ('[voice]\nzero_tens = "lẽ"\n', "'zero_tens' must be one of linh, le"),
    ('[voice]\nthousand = 1000\n', "'thousand' must be one of"),
    ('[voice]\nchime = "yes"\n', "'chime' must be true or false"),
    ('[voice]\nmax_pending = 0\n', "max_pending must be at least 1"),
    ('[voice]\nword_gap = 60\n', "unknown voice setting(s): word_gap"),
    ('zero_tens = "le"\n[voice]\n', "zero_tens must be inside the [voice] table"),
    ('[display]\nzone = "T1"\n', "has no [voice] table"),
    ('[voice\n', "is not valid TOML"),
])
def test_bad_voice_config_names_the_key_and_why(tmp_path: Path, text: str, named: str,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    config = write(tmp_path / "voice.toml", text)
    with pytest.raises(DisplaySettingsError, match=re.escape(named)):
        parse_arguments(["--token", "t", "--voice-config", str(config)])
    assert main(["--token", "t", "--voice-config", str(config)]) == 2
    error = capsys.readouterr().err
    assert named in error and "voice.toml" in error


def test_missing_voice_config_is_named(tmp_path: Path) -> None:
    with pytest.raises(DisplaySettingsError, match=r"nowhere\.toml.*cannot read it"):
        parse_arguments(["--token", "t", "--voice-config", str(tmp_path / "nowhere.toml")])


def test_relative_pack_in_the_file_is_beside_the_file(tmp_path: Path) -> None:
    config = write(tmp_path / "voice.toml", '[voice]\npack = "chi-lan"\n')
    settings, _ = parse_arguments(["--token", "t", "--voice-config", str(config)])
    assert settings.voice is not None and settings.voice.pack_directory == tmp_path / "chi-lan"
