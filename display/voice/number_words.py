"""Numbers, digits and letters as spoken words, in Vietnamese and English (pure functions).

Named ``number_words`` rather than ``numbers`` so that running a script that lives in this
directory never shadows the standard library's ``numbers`` module.

Vietnamese rules (for a group of three digits *h t u* after the first group, the hundreds are
always read, so 1005 is "một nghìn không trăm linh năm"):

* 10 is "mười"; 20..90 are "<digit> mươi" (hai mươi).
* 1 after "mươi" is "mốt" (21 hai mươi mốt) but 11 is "mười một" and 101 "một trăm linh một".
* 5 after "mười"/"mươi" is "lăm" (15 mười lăm, 25 hai mươi lăm); ``FiveAfterTens.NHAM`` gives the
  northern colloquial "nhăm" after "mươi" only (hai mươi nhăm; 15 stays mười lăm).
* 4 after "mươi" is "tư" (24 hai mươi tư) unless ``FourAfterTens.BON``; 14 is always mười bốn.
* A zero tens digit after hundreds is "linh" (northern, default) or "lẻ" (southern):
  105 một trăm linh năm / một trăm lẻ năm.
* Thousands are "nghìn" (default) or "ngàn"; millions "triệu". A whole zero group in the middle
  is skipped (1 000 005 một triệu không trăm linh năm).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from display.voice.errors import UnpronounceableError

__all__ = [
    "ENGLISH_LETTER_NAMES",
    "MAX_SPOKEN_NUMBER",
    "VIETNAMESE_LETTER_NAMES",
    "FiveAfterTens",
    "FourAfterTens",
    "NumberStyle",
    "ThousandWord",
    "ZeroTens",
    "digits_to_english_words",
    "digits_to_words",
    "english_letter_name",
    "letter_name",
    "number_to_english_words",
    "number_to_words",
]

MAX_SPOKEN_NUMBER = 999_999_999
"""The largest number :func:`number_to_words` reads as words."""


class ZeroTens(StrEnum):
    """Word for a zero tens digit after hundreds (105)."""

    LINH = "linh"  # northern, the default
    LE = "lẻ"  # southern


class ThousandWord(StrEnum):
    """Word for a thousand."""

    NGHIN = "nghìn"  # the default
    NGAN = "ngàn"


class FiveAfterTens(StrEnum):
    """Word for a units 5 after "mươi" (25). After "mười" it is always "lăm"."""

    LAM = "lăm"  # the default
    NHAM = "nhăm"  # northern colloquial


class FourAfterTens(StrEnum):
    """Word for a units 4 after "mươi" (24). After "mười" it is always "bốn"."""

    TU = "tư"  # the default
    BON = "bốn"


@dataclass(frozen=True, slots=True)
class NumberStyle:
    """Regional choices for reading numbers as Vietnamese words."""

    zero_tens: ZeroTens = ZeroTens.LINH
    thousand: ThousandWord = ThousandWord.NGHIN
    five_after_tens: FiveAfterTens = FiveAfterTens.LAM
    four_after_tens: FourAfterTens = FourAfterTens.TU


_DIGITS = ("không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín")
_GROUP_WORDS = ("", "", "triệu")  # index 1 (thousands) comes from NumberStyle

VIETNAMESE_LETTER_NAMES: dict[str, str] = {
    "A": "a",
    "B": "bê",
    "C": "xê",
    "D": "dê",
    "Đ": "đê",
    "E": "e",
    "F": "ép",
    "G": "giê",
    "H": "hát",
    "I": "i",
    "J": "gi",
    "K": "ca",
    "L": "e-lờ",
    "M": "em-mờ",
    "N": "en-nờ",
    "O": "o",
    "P": "pê",
    "Q": "quy",
    "R": "e-rờ",
    "S": "ét-xì",
    "T": "tê",
    "U": "u",
    "V": "vê",
    "W": "vê kép",
    "X": "ích-xì",
    "Y": "i dài",
    "Z": "dét",
}
"""How announcers name ticket-prefix letters in Vietnamese (the traditional letter names)."""

ENGLISH_LETTER_NAMES: dict[str, str] = {
    "A": "ay", "B": "bee", "C": "see", "D": "dee", "Đ": "dee", "E": "ee", "F": "ef", "G": "gee",
    "H": "aitch", "I": "eye", "J": "jay", "K": "kay", "L": "el", "M": "em", "N": "en", "O": "oh",
    "P": "pee", "Q": "cue", "R": "ar", "S": "ess", "T": "tee", "U": "you", "V": "vee",
    "W": "double-you", "X": "ex", "Y": "why", "Z": "zee",
}  # fmt: skip
"""English letter names; Đ is read as D in English."""

_EN_ONES = (
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
    "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen",
    "nineteen",
)  # fmt: skip
_EN_TENS = ("", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")
_EN_GROUP_WORDS = ("", "thousand", "million")


def _check_range(n: int) -> None:
    if isinstance(n, bool) or not isinstance(n, int):
        raise UnpronounceableError(f"not an integer: {n!r}")
    if n < 0 or n > MAX_SPOKEN_NUMBER:
        raise UnpronounceableError(f"{n} is outside 0..{MAX_SPOKEN_NUMBER}")


def _vietnamese_group(group: int, *, read_hundreds: bool, style: NumberStyle) -> list[str]:
    """Words for 1..999; ``read_hundreds`` forces "không trăm" when a higher group precedes."""
    hundreds, rest = divmod(group, 100)
    tens, units = divmod(rest, 10)
    words: list[str] = []
    if hundreds or read_hundreds:
        words += [_DIGITS[hundreds], "trăm"]
    if tens == 0:
        if units:
            if words:
                words.append(style.zero_tens.value)
            words.append(_DIGITS[units])
    elif tens == 1:
        words.append("mười")
        if units == 5:
            words.append("lăm")
        elif units:
            words.append(_DIGITS[units])
    else:
        words += [_DIGITS[tens], "mươi"]
        if units == 1:
            words.append("mốt")
        elif units == 4:
            words.append(style.four_after_tens.value)
        elif units == 5:
            words.append(style.five_after_tens.value)
        elif units:
            words.append(_DIGITS[units])
    return words


def _groups(n: int) -> list[int]:
    """Three-digit groups, most significant first (0 -> [0])."""
    groups: list[int] = []
    while True:
        n, group = divmod(n, 1000)
        groups.append(group)
        if n == 0:
            return groups[::-1]


def number_to_words(n: int, style: NumberStyle = NumberStyle()) -> list[str]:
    """Vietnamese words for ``n`` (0..999 999 999), one syllable per item.

    >>> number_to_words(1005)
    ['một', 'nghìn', 'không', 'trăm', 'linh', 'năm']

    Raises UnpronounceableError outside the range.
    """
    _check_range(n)
    if n == 0:
        return [_DIGITS[0]]
    groups = _groups(n)
    words: list[str] = []
    for index, group in enumerate(groups):
        position = len(groups) - 1 - index  # 2 millions, 1 thousands, 0 units
        if group == 0:
            continue
        words += _vietnamese_group(group, read_hundreds=index > 0, style=style)
        if position == 1:
            words.append(style.thousand.value)
        elif position == 2:
            words.append(_GROUP_WORDS[2])
    return words


def _only_digits(text: str) -> str:
    if not text or not all("0" <= ch <= "9" for ch in text):
        raise UnpronounceableError(f"expected ASCII digits only, got {text!r}")
    return text


def digits_to_words(text: str) -> list[str]:
    """Vietnamese words for each digit of ``text``: "1005" -> một không không năm.

    Raises UnpronounceableError unless ``text`` is one or more ASCII digits.
    """
    return [_DIGITS[int(ch)] for ch in _only_digits(text)]


def number_to_english_words(n: int) -> list[str]:
    """English words for ``n`` (0..999 999 999), without "and": 1005 -> one thousand five.

    Compound tens are two words (21 -> twenty one). Raises UnpronounceableError outside the range.
    """
    _check_range(n)
    if n == 0:
        return [_EN_ONES[0]]
    groups = _groups(n)
    words: list[str] = []
    for index, group in enumerate(groups):
        position = len(groups) - 1 - index
        if group == 0:
            continue
        hundreds, rest = divmod(group, 100)
        if hundreds:
            words += [_EN_ONES[hundreds], "hundred"]
        if rest >= 20:
            words.append(_EN_TENS[rest // 10])
            if rest % 10:
                words.append(_EN_ONES[rest % 10])
        elif rest:
            words.append(_EN_ONES[rest])
        if position:
            words.append(_EN_GROUP_WORDS[position])
    return words


def digits_to_english_words(text: str) -> list[str]:
    """English words for each digit of ``text`` ("zero" for 0)."""
    return [_EN_ONES[int(ch)] for ch in _only_digits(text)]


def _letter_key(letter: str) -> str:
    key = letter.upper()
    if len(letter) != 1 or key not in VIETNAMESE_LETTER_NAMES:
        raise UnpronounceableError(f"no name for letter {letter!r} (A-Z and Đ are supported)")
    return key


def letter_name(letter: str) -> str:
    """Vietnamese name of a ticket-prefix letter (case-insensitive): "B" -> "bê"."""
    return VIETNAMESE_LETTER_NAMES[_letter_key(letter)]


def english_letter_name(letter: str) -> str:
    """English name of a ticket-prefix letter (case-insensitive): "B" -> "bee"."""
    return ENGLISH_LETTER_NAMES[_letter_key(letter)]
