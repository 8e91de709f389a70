"""The bundled font draws every Vietnamese letter with a real glyph."""

from __future__ import annotations

import unicodedata

import pytest

from hardware.printer.font import (
    FONT_DIRECTORY,
    VIETNAMESE_LETTERS,
    FontWeight,
    covered_code_points,
    load_font,
    missing_characters,
)

NOT_IN_FONT = "\U0010fffd"  # private use, plane 16: drawn as .notdef


def test_alphabet_is_complete_and_precomposed() -> None:
    assert len(VIETNAMESE_LETTERS) == 2 * (12 * 6 + 17)
    assert len(set(VIETNAMESE_LETTERS)) == len(VIETNAMESE_LETTERS)
    assert unicodedata.normalize("NFC", VIETNAMESE_LETTERS) == VIETNAMESE_LETTERS
    for letter in "ăâđêôơưĂÂĐÊÔƠƯ" + "àáảãạ" + "ỳýỷỹỵ" + "ẤẦẨẪẬ" + "ỰỨỪỬỮ":
        assert letter in VIETNAMESE_LETTERS


@pytest.mark.parametrize("weight", list(FontWeight))
def test_cmap_covers_every_vietnamese_letter_and_ticket_symbols(weight: FontWeight) -> None:
    assert missing_characters(VIETNAMESE_LETTERS + "0123456789–:/,.!?()", weight) == frozenset()
    assert ord(NOT_IN_FONT) not in covered_code_points(weight)
    assert missing_characters("中" + NOT_IN_FONT, weight) == frozenset({"中", NOT_IN_FONT})


@pytest.mark.parametrize("weight", list(FontWeight))
def test_no_letter_renders_as_the_notdef_box(weight: FontWeight) -> None:
    font = load_font(24, weight)
    notdef = font.getmask(NOT_IN_FONT)
    notdef_pixels = (notdef.size, bytes(notdef))
    for letter in VIETNAMESE_LETTERS:
        mask = font.getmask(letter)
        assert (mask.size, bytes(mask)) != notdef_pixels, letter


def test_decomposed_input_counts_as_covered() -> None:
    decomposed = unicodedata.normalize("NFD", "Quảng Ngãi – Đường Hồ Chí Minh")
    assert missing_characters(decomposed) == frozenset()


def test_font_files_ship_with_their_licence() -> None:
    for weight in FontWeight:
        assert weight.path.is_file()
    licence = (FONT_DIRECTORY / "DejaVu-LICENSE.txt").read_text(encoding="utf-8")
    assert "Bitstream Vera Fonts Copyright" in licence
    assert "Arev Fonts Copyright" in licence
