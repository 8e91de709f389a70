"""Announcement -> clip names (pure). No audio here, only which clips to play in which order.

Sentences (one list of clip names each):

* Vietnamese call: "Xin mời công dân có số thứ tự <ticket> đến quầy số <counter>".
* English call: "Ticket number <ticket>, please go to counter <counter>".
* A recall reads the same sentence, opened by "Nhắc lại" / "Once again" unless
  ``PhraseSettings.recall_opening`` is False.
* With ``PhraseSettings.chime`` the announcement starts with a sentence holding only the chime.

Ticket and counter codes are read left to right: each letter by its name (A-Z, Đ; case
ignored), each run of digits as one number in words (leading zeros dropped: A012 -> "a mười
hai") or digit by digit (A012 -> "a không một hai") per :class:`NumberReading`. Spaces and
``- . _ /`` separate parts and are not read. A run of more than nine digits is always read digit
by digit. Anything else raises :class:`~display.voice.errors.UnpronounceableError`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from display.voice.clips import CHIME, Language, Phrase, letter_clip, phrase_clip, word_clip
from display.voice.errors import UnpronounceableError, VoiceSettingsError
from display.voice.number_words import (
    MAX_SPOKEN_NUMBER,
    VIETNAMESE_LETTER_NAMES,
    NumberStyle,
    digits_to_english_words,
    digits_to_words,
    number_to_english_words,
    number_to_words,
)

__all__ = [
    "Announcement",
    "AnnouncementKind",
    "NumberReading",
    "PhraseSettings",
    "announcement_clips",
    "code_clips",
    "required_clips",
    "sentence_clips",
]

_SEPARATORS = frozenset(" -._/")
_DEFAULT_STYLE = NumberStyle()
_MAX_WORD_DIGITS = len(str(MAX_SPOKEN_NUMBER))


class NumberReading(StrEnum):
    """How a run of digits is read."""

    WORDS = "words"  # 1005 -> một nghìn không trăm linh năm
    DIGITS = "digits"  # 1005 -> một không không năm


class AnnouncementKind(StrEnum):
    """Why a ticket is announced."""

    CALL = "call"
    RECALL = "recall"


@dataclass(frozen=True, slots=True)
class Announcement:
    """One announcement: ticket code (``"1005"``, ``"A012"``) and counter code (``"3"``)."""

    ticket: str
    counter: str
    kind: AnnouncementKind = AnnouncementKind.CALL


@dataclass(frozen=True, slots=True)
class PhraseSettings:
    """What the announcements say; ``languages`` are read in order (at least one, no repeats).

    Raises VoiceSettingsError for an empty or repeating ``languages``.
    """

    ticket_reading: NumberReading = NumberReading.WORDS
    counter_reading: NumberReading = NumberReading.WORDS
    number_style: NumberStyle = field(default_factory=NumberStyle)
    languages: tuple[Language, ...] = (Language.VIETNAMESE,)
    chime: bool = True
    recall_opening: bool = True

    def __post_init__(self) -> None:
        if not self.languages:
            raise VoiceSettingsError("at least one announcement language is needed")
        if len(set(self.languages)) != len(self.languages):
            raise VoiceSettingsError(f"announcement languages repeat: {self.languages}")


def _parts(code: str) -> list[str]:
    """Split a code into single letters and runs of digits; separators dropped."""
    parts: list[str] = []
    digits = ""
    for char in code:
        if "0" <= char <= "9":
            digits += char
            continue
        if digits:
            parts.append(digits)
            digits = ""
        if char in _SEPARATORS:
            continue
        if char.upper() not in VIETNAMESE_LETTER_NAMES:
            raise UnpronounceableError(f"cannot read {char!r} in {code!r}")
        parts.append(char.upper())
    if digits:
        parts.append(digits)
    if not parts:
        raise UnpronounceableError(f"nothing to read in {code!r}")
    return parts


def _digit_run_words(
    run: str, language: Language, reading: NumberReading, style: NumberStyle
) -> list[str]:
    as_words = reading is NumberReading.WORDS and len(run.lstrip("0")) <= _MAX_WORD_DIGITS
    if language is Language.VIETNAMESE:
        return number_to_words(int(run), style) if as_words else digits_to_words(run)
    return number_to_english_words(int(run)) if as_words else digits_to_english_words(run)


def code_clips(
    code: str,
    language: Language,
    reading: NumberReading = NumberReading.WORDS,
    style: NumberStyle = _DEFAULT_STYLE,
) -> list[str]:
    """Clip names reading a ticket or counter code; raises UnpronounceableError (see module)."""
    clips: list[str] = []
    for part in _parts(code):
        if part.isdigit():
            words = _digit_run_words(part, language, reading, style)
            clips += [word_clip(word, language) for word in words]
        else:
            clips.append(letter_clip(part, language))
    return clips


def sentence_clips(
    announcement: Announcement, language: Language, settings: PhraseSettings = PhraseSettings()
) -> list[str]:
    """Clip names of the announcement's sentence in one language (no chime)."""
    style = settings.number_style
    clips: list[str] = []
    if announcement.kind is AnnouncementKind.RECALL and settings.recall_opening:
        clips.append(phrase_clip(Phrase.RECALL_OPENING, language))
    clips.append(phrase_clip(Phrase.CALL_OPENING, language))
    clips += code_clips(announcement.ticket, language, settings.ticket_reading, style)
    clips.append(phrase_clip(Phrase.TO_COUNTER, language))
    clips += code_clips(announcement.counter, language, settings.counter_reading, style)
    return clips


def announcement_clips(
    announcement: Announcement, settings: PhraseSettings = PhraseSettings()
) -> list[list[str]]:
    """All sentences of an announcement: [chime] if enabled, then one per language."""
    sentences = [[CHIME]] if settings.chime else []
    sentences += [sentence_clips(announcement, lang, settings) for lang in settings.languages]
    return sentences


_WORD_SAMPLES = [*range(100), 105, 1000, 1_000_000]  # together they use every possible word


def required_clips(settings: PhraseSettings = PhraseSettings()) -> frozenset[str]:
    """Every clip the settings can ask for, for any readable ticket and counter code."""
    style = settings.number_style
    needed: set[str] = {CHIME} if settings.chime else set()
    for language in settings.languages:
        needed.add(phrase_clip(Phrase.CALL_OPENING, language))
        needed.add(phrase_clip(Phrase.TO_COUNTER, language))
        if settings.recall_opening:
            needed.add(phrase_clip(Phrase.RECALL_OPENING, language))
        needed.update(letter_clip(letter, language) for letter in VIETNAMESE_LETTER_NAMES)
        readings = {settings.ticket_reading, settings.counter_reading, NumberReading.DIGITS}
        for reading in readings:
            for sample in _WORD_SAMPLES:
                needed.update(code_clips(str(sample), language, reading, style))
    return frozenset(needed)
