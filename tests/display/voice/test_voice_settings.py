"""Voice settings parsed from a plain mapping."""

from __future__ import annotations

from pathlib import Path

import pytest

from display.voice.clips import Language
from display.voice.errors import MissingClipError, VoiceSettingsError
from display.voice.number_words import FiveAfterTens, FourAfterTens, ThousandWord, ZeroTens
from display.voice.pack import DEFAULT_PACK_DIRECTORY
from display.voice.phrases import Announcement, NumberReading, PhraseSettings
from display.voice.renderer import AnnouncementRenderer
from display.voice.settings import VoiceSettings, parse_voice_settings


def test_empty_mapping_gives_the_defaults() -> None:
    settings = parse_voice_settings({})
    assert settings == VoiceSettings()
    assert settings.pack_directory == DEFAULT_PACK_DIRECTORY
    assert settings.phrases == PhraseSettings()


def test_every_key() -> None:
    settings = parse_voice_settings(
        {
            "pack": "/srv/voice",
            "ticket_reading": "DIGITS",
            "counter_reading": "digits",
            "zero_tens": "lẻ",
            "thousand": "ngan",
            "five_after_tens": "nhăm",
            "four_after_tens": "bon",
            "languages": ["vi", "en"],
            "chime": False,
            "recall_opening": False,
            "word_gap_ms": 0,
            "sentence_gap_ms": 300,
            "max_pending": 20,
        }
    )
    phrases = settings.phrases
    assert settings.pack_directory == Path("/srv/voice")
    assert phrases.ticket_reading is NumberReading.DIGITS
    assert phrases.counter_reading is NumberReading.DIGITS
    assert phrases.number_style.zero_tens is ZeroTens.LE
    assert phrases.number_style.thousand is ThousandWord.NGAN
    assert phrases.number_style.five_after_tens is FiveAfterTens.NHAM
    assert phrases.number_style.four_after_tens is FourAfterTens.BON
    assert phrases.languages == (Language.VIETNAMESE, Language.ENGLISH)
    assert not phrases.chime and not phrases.recall_opening
    assert (settings.word_gap_ms, settings.sentence_gap_ms, settings.max_pending) == (0, 300, 20)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"volume": 3}, "unknown"),
        ({"zero_tens": "le le"}, "zero_tens"),
        ({"chime": "yes"}, "chime"),
        ({"languages": "vi"}, "languages"),
        ({"languages": ["fr"]}, "languages"),
        ({"languages": []}, "language"),
        ({"languages": ["vi", "vi"]}, "repeat"),
        ({"word_gap_ms": -1}, "word_gap_ms"),
        ({"sentence_gap_ms": 9000}, "sentence_gap_ms"),
        ({"max_pending": 0}, "max_pending"),
        ({"max_pending": True}, "max_pending"),
        ({"pack": 3}, "pack"),
    ],
)
def test_bad_settings_are_named(raw: dict[str, object], message: str) -> None:
    with pytest.raises(VoiceSettingsError, match=message):
        parse_voice_settings(raw)


def test_renderer_from_settings_needs_only_the_configured_clips(tmp_path: Path) -> None:
    # A Vietnamese-only pack without English clips is enough for Vietnamese-only settings.
    for path in DEFAULT_PACK_DIRECTORY.rglob("*.wav"):
        relative = path.relative_to(DEFAULT_PACK_DIRECTORY)
        if relative.parts[0] != "en":
            (tmp_path / relative).parent.mkdir(parents=True, exist_ok=True)
            (tmp_path / relative).write_bytes(path.read_bytes())
    renderer = AnnouncementRenderer.from_settings(parse_voice_settings({"pack": str(tmp_path)}))
    assert renderer.render(Announcement("1005", "3"))
    with pytest.raises(MissingClipError, match=r"en/ticket_number\.wav"):
        AnnouncementRenderer.from_settings(
            parse_voice_settings({"pack": str(tmp_path), "languages": ["vi", "en"]})
        )
