"""The catalogue of voice-pack clips: every clip name, its language and the words it says.

A clip name is a pack-relative path without ``.wav`` ("vi/mot" is the file ``vi/mot.wav``).
Names are ASCII; where two Vietnamese words differ only by tone the rarer one carries the
tone's name (``mot`` một / ``mot_sac`` mốt, ``muoi`` mười / ``muoi_ngang`` mươi).
This table is the single source for the phrase builder, the pack builder and docs/voice.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from display.voice.errors import UnpronounceableError
from display.voice.number_words import ENGLISH_LETTER_NAMES, VIETNAMESE_LETTER_NAMES

__all__ = [
    "CATALOGUE",
    "CHIME",
    "ENGLISH_WORD_CLIPS",
    "VIETNAMESE_WORD_CLIPS",
    "ClipSpec",
    "Language",
    "Phrase",
    "clip_file",
    "letter_clip",
    "phrase_clip",
    "word_clip",
]


class Language(StrEnum):
    """Languages an announcement can be read in; the value is the pack sub-directory."""

    VIETNAMESE = "vi"
    ENGLISH = "en"


class Phrase(StrEnum):
    """Fixed parts of the sentences, independent of language."""

    CALL_OPENING = "call_opening"  # "Xin mời công dân có số thứ tự" / "Ticket number"
    TO_COUNTER = "to_counter"  # "đến quầy số" / "please go to counter"
    RECALL_OPENING = "recall_opening"  # "Nhắc lại" / "Once again"


CHIME = "chime"
"""Name of the language-independent chime played before an announcement."""


@dataclass(frozen=True, slots=True)
class ClipSpec:
    """One clip: ``name`` (pack-relative, no extension), ``language`` (None: any) and ``text``."""

    name: str
    language: Language | None
    text: str


VIETNAMESE_WORD_CLIPS: dict[str, str] = {
    "không": "vi/khong",
    "một": "vi/mot",
    "hai": "vi/hai",
    "ba": "vi/ba",
    "bốn": "vi/bon",
    "năm": "vi/nam",
    "sáu": "vi/sau",
    "bảy": "vi/bay",
    "tám": "vi/tam",
    "chín": "vi/chin",
    "mười": "vi/muoi",
    "mươi": "vi/muoi_ngang",
    "mốt": "vi/mot_sac",
    "tư": "vi/tu",
    "lăm": "vi/lam",
    "nhăm": "vi/nham",
    "linh": "vi/linh",
    "lẻ": "vi/le",
    "trăm": "vi/tram",
    "nghìn": "vi/nghin",
    "ngàn": "vi/ngan",
    "triệu": "vi/trieu",
}
"""Vietnamese number word -> clip name."""

ENGLISH_WORD_CLIPS: dict[str, str] = {
    word: f"en/{word}"
    for word in (
        "zero",
        "one",
        "two",
        "three",
        "four",
        "five",
        "six",
        "seven",
        "eight",
        "nine",
        "ten",
        "eleven",
        "twelve",
        "thirteen",
        "fourteen",
        "fifteen",
        "sixteen",
        "seventeen",
        "eighteen",
        "nineteen",
        "twenty",
        "thirty",
        "forty",
        "fifty",
        "sixty",
        "seventy",
        "eighty",
        "ninety",
        "hundred",
        "thousand",
        "million",
    )
}
"""English number word -> clip name."""

_PHRASE_CLIPS: dict[tuple[Language, Phrase], ClipSpec] = {
    (Language.VIETNAMESE, Phrase.CALL_OPENING): ClipSpec(
        "vi/xin_moi_cong_dan_co_so_thu_tu", Language.VIETNAMESE, "Xin mời công dân có số thứ tự"
    ),
    (Language.VIETNAMESE, Phrase.TO_COUNTER): ClipSpec(
        "vi/den_quay_so", Language.VIETNAMESE, "đến quầy số"
    ),
    (Language.VIETNAMESE, Phrase.RECALL_OPENING): ClipSpec(
        "vi/nhac_lai", Language.VIETNAMESE, "Nhắc lại"
    ),
    (Language.ENGLISH, Phrase.CALL_OPENING): ClipSpec(
        "en/ticket_number", Language.ENGLISH, "Ticket number"
    ),
    (Language.ENGLISH, Phrase.TO_COUNTER): ClipSpec(
        "en/please_go_to_counter", Language.ENGLISH, "please go to counter"
    ),
    (Language.ENGLISH, Phrase.RECALL_OPENING): ClipSpec(
        "en/once_again", Language.ENGLISH, "Once again"
    ),
}


def _letter_suffix(letter: str) -> str:
    return "dd" if letter == "Đ" else letter.lower()


def letter_clip(letter: str, language: Language) -> str:
    """Clip name of a letter's name: ("B", VIETNAMESE) -> "vi/letter_b"; Đ -> "vi/letter_dd"."""
    key = letter.upper()
    if len(letter) != 1 or key not in VIETNAMESE_LETTER_NAMES:
        raise UnpronounceableError(f"no clip for letter {letter!r} (A-Z and Đ are supported)")
    return f"{language.value}/letter_{_letter_suffix(key)}"


def word_clip(word: str, language: Language) -> str:
    """Clip name of a number word from :mod:`display.voice.number_words`."""
    table = VIETNAMESE_WORD_CLIPS if language is Language.VIETNAMESE else ENGLISH_WORD_CLIPS
    try:
        return table[word]
    except KeyError:
        raise UnpronounceableError(f"no {language.value} clip for the word {word!r}") from None


def phrase_clip(phrase: Phrase, language: Language) -> str:
    """Clip name of a fixed phrase in a language."""
    return _PHRASE_CLIPS[(language, phrase)].name


def clip_file(name: str) -> str:
    """Pack-relative file path of a clip name: "vi/mot" -> "vi/mot.wav"."""
    return f"{name}.wav"


def _build_catalogue() -> dict[str, ClipSpec]:
    specs: list[ClipSpec] = [ClipSpec(CHIME, None, "(two-tone chime, no words)")]
    specs += [
        ClipSpec(name, Language.VIETNAMESE, word) for word, name in VIETNAMESE_WORD_CLIPS.items()
    ]
    specs += [ClipSpec(name, Language.ENGLISH, word) for word, name in ENGLISH_WORD_CLIPS.items()]
    for letter, spoken in VIETNAMESE_LETTER_NAMES.items():
        specs.append(
            ClipSpec(letter_clip(letter, Language.VIETNAMESE), Language.VIETNAMESE, spoken)
        )
    for letter, spoken in ENGLISH_LETTER_NAMES.items():
        specs.append(ClipSpec(letter_clip(letter, Language.ENGLISH), Language.ENGLISH, spoken))
    specs += list(_PHRASE_CLIPS.values())
    return {spec.name: spec for spec in specs}


CATALOGUE: dict[str, ClipSpec] = _build_catalogue()
"""Every clip a pack may hold, by name, in a stable order (chime, words, letters, phrases)."""
