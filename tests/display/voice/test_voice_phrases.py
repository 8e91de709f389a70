"""Clip sequences of announcements, and the clips a pack must hold for them."""

from __future__ import annotations

import pytest

from display.voice.clips import CATALOGUE, CHIME, Language
from display.voice.errors import UnpronounceableError, VoiceSettingsError
from display.voice.number_words import NumberStyle, ThousandWord, ZeroTens
from display.voice.pack import DEFAULT_PACK_DIRECTORY, VoicePack
from display.voice.phrases import (
    Announcement,
    AnnouncementKind,
    NumberReading,
    PhraseSettings,
    announcement_clips,
    code_clips,
    required_clips,
    sentence_clips,
)

VI = Language.VIETNAMESE
EN = Language.ENGLISH
OPEN_VI = "vi/xin_moi_cong_dan_co_so_thu_tu"


def test_call_1005_to_counter_3_as_words() -> None:
    assert announcement_clips(Announcement("1005", "3")) == [
        [CHIME],
        [OPEN_VI, "vi/mot", "vi/nghin", "vi/khong", "vi/tram", "vi/linh", "vi/nam",
         "vi/den_quay_so", "vi/ba"],
    ]  # fmt: skip


def test_call_1005_to_counter_3_digit_by_digit() -> None:
    settings = PhraseSettings(ticket_reading=NumberReading.DIGITS, chime=False)
    assert announcement_clips(Announcement("1005", "3"), settings) == [
        [OPEN_VI, "vi/mot", "vi/khong", "vi/khong", "vi/nam", "vi/den_quay_so", "vi/ba"],
    ]


def test_letter_prefix_words_drop_leading_zeros_digits_keep_them() -> None:
    words = sentence_clips(Announcement("A012", "12"), VI)
    assert words == [OPEN_VI, "vi/letter_a", "vi/muoi", "vi/hai", "vi/den_quay_so",
                     "vi/muoi", "vi/hai"]  # fmt: skip
    digits = sentence_clips(
        Announcement("A012", "12"), VI, PhraseSettings(ticket_reading=NumberReading.DIGITS)
    )
    assert digits[1:5] == ["vi/letter_a", "vi/khong", "vi/mot", "vi/hai"]
    assert digits[-2:] == ["vi/muoi", "vi/hai"]


def test_english_sentence() -> None:
    assert sentence_clips(Announcement("1005", "3"), EN) == [
        "en/ticket_number", "en/one", "en/thousand", "en/five", "en/please_go_to_counter",
        "en/three",
    ]  # fmt: skip
    assert sentence_clips(Announcement("Đ21", "b2"), EN) == [
        "en/ticket_number", "en/letter_dd", "en/twenty", "en/one", "en/please_go_to_counter",
        "en/letter_b", "en/two",
    ]  # fmt: skip


def test_languages_in_configured_order_after_the_chime() -> None:
    settings = PhraseSettings(languages=(VI, EN))
    sentences = announcement_clips(Announcement("7", "1"), settings)
    assert [s[0] for s in sentences] == [CHIME, OPEN_VI, "en/ticket_number"]


def test_recall_opens_with_nhac_lai_unless_disabled() -> None:
    recall = Announcement("1005", "3", AnnouncementKind.RECALL)
    call = Announcement("1005", "3")
    assert sentence_clips(recall, VI) == ["vi/nhac_lai", *sentence_clips(call, VI)]
    assert sentence_clips(recall, EN)[0] == "en/once_again"
    plain = PhraseSettings(recall_opening=False)
    assert sentence_clips(recall, VI, plain) == sentence_clips(call, VI, plain)


def test_counter_codes_with_letters_and_separators() -> None:
    assert code_clips("B2", VI) == ["vi/letter_b", "vi/hai"]
    assert code_clips(" 3 ", VI) == ["vi/ba"]
    assert code_clips("a-012", VI) == ["vi/letter_a", "vi/muoi", "vi/hai"]
    assert code_clips("12A", VI) == ["vi/muoi", "vi/hai", "vi/letter_a"]
    assert code_clips("0000", VI) == ["vi/khong"]
    assert code_clips("21", VI, NumberReading.DIGITS) == ["vi/hai", "vi/mot"]


def test_number_style_reaches_the_clips() -> None:
    style = NumberStyle(zero_tens=ZeroTens.LE, thousand=ThousandWord.NGAN)
    assert code_clips("1005", VI, NumberReading.WORDS, style) == [
        "vi/mot", "vi/ngan", "vi/khong", "vi/tram", "vi/le", "vi/nam",
    ]  # fmt: skip


def test_runs_too_long_for_words_are_read_digit_by_digit() -> None:
    assert code_clips("1234567890", VI) == [
        "vi/mot", "vi/hai", "vi/ba", "vi/bon", "vi/nam", "vi/sau", "vi/bay", "vi/tam", "vi/chin",
        "vi/khong",
    ]  # fmt: skip


@pytest.mark.parametrize("bad", ["", " - ", "Quầy 1", "1?", "Ư5"])
def test_unreadable_codes_are_refused(bad: str) -> None:
    with pytest.raises(UnpronounceableError):
        code_clips(bad, VI)


def test_settings_need_one_language_without_repeats() -> None:
    with pytest.raises(VoiceSettingsError):
        PhraseSettings(languages=())
    with pytest.raises(VoiceSettingsError):
        PhraseSettings(languages=(VI, VI))


def _all_settings() -> list[PhraseSettings]:
    return [
        PhraseSettings(
            ticket_reading=reading,
            number_style=style,
            languages=(VI, EN),
        )
        for reading in NumberReading
        for style in (NumberStyle(), NumberStyle(ZeroTens.LE, ThousandWord.NGAN))
    ]


def test_required_clips_cover_every_ticket_and_counter() -> None:
    letters = [*"ABCDEFGHIJKLMNOPQRSTUVWXYZ", "Đ"]
    for settings in _all_settings():
        required = required_clips(settings)
        assert required <= CATALOGUE.keys()
        used: set[str] = set()
        for number in range(10_000):
            for sentence in announcement_clips(Announcement(str(number), "1"), settings):
                used.update(sentence)
        for letter in letters:
            prefixed = Announcement(f"{letter}012", f"{letter}5")
            for sentence in announcement_clips(prefixed, settings):
                used.update(sentence)
        for counter in range(1, 100):
            recall = Announcement("1", str(counter), AnnouncementKind.RECALL)
            for sentence in announcement_clips(recall, settings):
                used.update(sentence)
        assert used <= required


def test_default_pack_has_every_clip_the_phrases_can_need() -> None:
    pack = VoicePack.load(DEFAULT_PACK_DIRECTORY)
    assert pack.clip_names >= CATALOGUE.keys()
    for settings in _all_settings():
        assert required_clips(settings) <= pack.clip_names
