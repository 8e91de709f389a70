"""The bundled ticket fonts, and which characters they can draw.

Thermal printers' own code pages do not cover Vietnamese reliably, so tickets are drawn as a
raster with a font shipped in ``fonts/`` (DejaVu Sans and DejaVu Sans Bold, licence in
``fonts/DejaVu-LICENSE.txt``). Nothing is looked up on the system and nothing is downloaded.

:func:`missing_characters` reads the font's ``cmap`` table directly (no fontTools needed), so
callers can check at start-up that configured centre and service names are printable.
"""

from __future__ import annotations

import functools
import logging
import struct
import unicodedata
from enum import Enum
from pathlib import Path

from PIL import ImageFont

from hardware.printer.errors import FontError

logger = logging.getLogger(__name__)

FONT_DIRECTORY = Path(__file__).resolve().parent / "fonts"
"""Folder holding the bundled TrueType files and their licence text."""

_VIETNAMESE_BASE_VOWELS = "aăâeêioôơuưy"
_VIETNAMESE_TONE_MARKS = ("", "\u0300", "\u0301", "\u0309", "\u0303", "\u0323")
_VIETNAMESE_CONSONANTS = "bcdđghklmnpqrstvx"


def _vietnamese_letters() -> str:
    letters: list[str] = []
    for vowel in _VIETNAMESE_BASE_VOWELS:
        for tone in _VIETNAMESE_TONE_MARKS:
            letters.append(unicodedata.normalize("NFC", vowel + tone))
    letters.extend(_VIETNAMESE_CONSONANTS)
    lower = "".join(letters)
    return lower + lower.upper()


VIETNAMESE_LETTERS = _vietnamese_letters()
"""Every letter of the Vietnamese alphabet with every tone, lower and upper case, as NFC
(precomposed) characters: 12 vowels x 6 tones + 17 consonants, twice = 178 characters."""


class FontWeight(Enum):
    """The bundled font faces; the value is the file name inside :data:`FONT_DIRECTORY`."""

    REGULAR = "DejaVuSans.ttf"
    BOLD = "DejaVuSans-Bold.ttf"

    @property
    def path(self) -> Path:
        """Absolute path of the TrueType file."""
        return FONT_DIRECTORY / self.value


@functools.lru_cache(maxsize=128)
def load_font(size: int, weight: FontWeight = FontWeight.REGULAR) -> ImageFont.FreeTypeFont:
    """Return the bundled font at ``size`` pixels (em size), cached.

    The basic layout engine is forced so that rendering is identical with or without libraqm
    installed; Vietnamese needs no shaping once text is NFC-normalised.

    Raises:
        FontError: the font file is missing or unreadable.
        ValueError: ``size`` is not positive.
    """
    if size <= 0:
        raise ValueError(f"font size must be positive, got {size}")
    try:
        return ImageFont.truetype(str(weight.path), size=size, layout_engine=ImageFont.Layout.BASIC)
    except OSError as error:
        raise FontError(f"cannot load bundled font {weight.path}: {error}") from error


@functools.lru_cache(maxsize=4)
def covered_code_points(weight: FontWeight = FontWeight.REGULAR) -> frozenset[int]:
    """Return the code points that the font maps to a real glyph (not ``.notdef``).

    Reads the Unicode ``cmap`` subtable (format 12 preferred, else format 4).

    Raises:
        FontError: the file is missing or is not a TrueType font with a Unicode cmap.
    """
    try:
        data = weight.path.read_bytes()
    except OSError as error:
        raise FontError(f"cannot read bundled font {weight.path}: {error}") from error
    try:
        return _parse_cmap(data)
    except (struct.error, IndexError, KeyError) as error:
        raise FontError(f"{weight.path} has no readable Unicode cmap: {error}") from error


def missing_characters(text: str, weight: FontWeight = FontWeight.REGULAR) -> frozenset[str]:
    """Return the characters of ``text`` (after NFC normalisation) the font cannot draw.

    Whitespace and other control characters are ignored. An empty result means the whole
    text prints with real glyphs.
    """
    covered = covered_code_points(weight)
    normalised = unicodedata.normalize("NFC", text)
    return frozenset(
        character
        for character in normalised
        if not character.isspace()
        and unicodedata.category(character) != "Cc"
        and ord(character) not in covered
    )


def _parse_cmap(data: bytes) -> frozenset[int]:
    (table_count,) = struct.unpack_from(">H", data, 4)
    tables: dict[bytes, int] = {}
    for index in range(table_count):
        tag, _checksum, offset, _length = struct.unpack_from(">4sIII", data, 12 + 16 * index)
        tables[tag] = offset
    cmap = tables[b"cmap"]
    _version, subtable_count = struct.unpack_from(">HH", data, cmap)
    candidates: dict[tuple[int, int], int] = {}
    for index in range(subtable_count):
        platform, encoding, offset = struct.unpack_from(">HHI", data, cmap + 4 + 8 * index)
        candidates[(platform, encoding)] = cmap + offset
    for key in ((3, 10), (0, 4), (0, 6)):
        if key in candidates and struct.unpack_from(">H", data, candidates[key])[0] == 12:
            return _parse_format_12(data, candidates[key])
    for key in ((3, 1), (0, 3), (0, 1), (0, 0)):
        if key in candidates and struct.unpack_from(">H", data, candidates[key])[0] == 4:
            return _parse_format_4(data, candidates[key])
    raise KeyError("no Unicode cmap subtable of format 4 or 12")


def _parse_format_12(data: bytes, start: int) -> frozenset[int]:
    (group_count,) = struct.unpack_from(">I", data, start + 12)
    covered: set[int] = set()
    for index in range(group_count):
        first, last, first_glyph = struct.unpack_from(">III", data, start + 16 + 12 * index)
        for code_point in range(first, last + 1):
            if first_glyph + (code_point - first) != 0:
                covered.add(code_point)
    return frozenset(covered)


def _parse_format_4(data: bytes, start: int) -> frozenset[int]:
    (segment_count_doubled,) = struct.unpack_from(">H", data, start + 6)
    segment_count = segment_count_doubled // 2
    end_codes_at = start + 14
    start_codes_at = end_codes_at + segment_count_doubled + 2
    deltas_at = start_codes_at + segment_count_doubled
    range_offsets_at = deltas_at + segment_count_doubled
    covered: set[int] = set()
    for segment in range(segment_count):
        (last,) = struct.unpack_from(">H", data, end_codes_at + 2 * segment)
        (first,) = struct.unpack_from(">H", data, start_codes_at + 2 * segment)
        (delta,) = struct.unpack_from(">h", data, deltas_at + 2 * segment)
        range_offset_at = range_offsets_at + 2 * segment
        (range_offset,) = struct.unpack_from(">H", data, range_offset_at)
        for code_point in range(first, last + 1):
            if code_point == 0xFFFF:
                continue
            if range_offset == 0:
                glyph = (code_point + delta) & 0xFFFF
            else:
                glyph_at = range_offset_at + range_offset + 2 * (code_point - first)
                (glyph,) = struct.unpack_from(">H", data, glyph_at)
                if glyph != 0:
                    glyph = (glyph + delta) & 0xFFFF
            if glyph != 0:
                covered.add(code_point)
    return frozenset(covered)
