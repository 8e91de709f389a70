"""The ticket raster: paper width, wrapping, a big number, a scannable QR, real Vietnamese."""

from __future__ import annotations

import dataclasses

import pytest
import zxingcpp
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image, ImageDraw, ImageOps

from hardware.printer.errors import TicketContentError
from hardware.printer.escpos_bytes import ticket_bytes
from hardware.printer.font import FontWeight, load_font
from hardware.printer.layout import PaperWidth, TicketContent
from hardware.printer.raster import (
    TicketStyle,
    fit_paragraph,
    render_text_line,
    render_ticket,
    text_width,
    wrap_text,
)
from hardware.printer.render import find_subimage, render_escpos


def ink_box(image: Image.Image) -> tuple[int, int, int, int]:
    box = ImageOps.invert(image.convert("L")).getbbox()
    assert box is not None
    return box


def decode(image: Image.Image) -> list[str]:
    return [result.text for result in zxingcpp.read_barcodes(image.convert("L"))]


@pytest.mark.parametrize("paper", list(PaperWidth))
def test_ticket_is_one_bit_and_paper_wide(content: TicketContent, paper: PaperWidth) -> None:
    image = render_ticket(content, paper)
    assert image.mode == "1"
    assert image.width == paper.dots
    left, _top, right, _bottom = ink_box(image)
    style = TicketStyle.for_paper(paper)
    assert left >= style.margin
    assert right <= paper.dots - style.margin


@pytest.mark.parametrize("paper", list(PaperWidth))
def test_qr_decodes_to_the_status_url(content: TicketContent, paper: PaperWidth) -> None:
    assert decode(render_ticket(content, paper)) == [content.status_url]


@pytest.mark.parametrize("paper", list(PaperWidth))
def test_number_fills_most_of_the_width(content: TicketContent, paper: PaperWidth) -> None:
    image = render_ticket(dataclasses.replace(content, number="1005"), paper)
    style = TicketStyle.for_paper(paper)
    # The number is the widest run of ink: find the row band with the widest ink.
    widest = 0
    for y in range(image.height):
        row = image.crop((0, y, image.width, y + 1))
        box = ImageOps.invert(row.convert("L")).getbbox()
        if box is not None and box[2] - box[0] < image.width - 2 * style.margin - 4:
            widest = max(widest, box[2] - box[0])
    assert widest >= 0.6 * image.width


@pytest.mark.parametrize("paper", list(PaperWidth))
def test_vietnamese_lines_appear_on_the_ticket(content: TicketContent, paper: PaperWidth) -> None:
    """Each wrapped line, rendered alone with the ticket's font, is found pixel-exactly."""
    image = render_ticket(content, paper)
    style = TicketStyle.for_paper(paper)
    width = paper.dots - 2 * style.margin
    for text, weight, size in [
        (content.service_name, FontWeight.BOLD, style.service_size),
        (content.centre_name, FontWeight.BOLD, style.centre_size),
        ("Quét mã để theo dõi lượt", FontWeight.REGULAR, style.detail_size),
    ]:
        font, lines = fit_paragraph(text, weight, size, style.minimum_size, width)
        for line in lines:
            line_image = render_text_line(line, font)
            assert find_subimage(image, line_image.crop(ink_box(line_image))), line
        bare = render_text_line("Dang ky khai sinh", font)
        assert find_subimage(image, bare.crop(ink_box(bare))) is None


def test_all_tones_and_capitals_render_unclipped(content: TicketContent) -> None:
    footer = "Ẩ Ấ Ầ Ẫ Ậ Ỳ Ý Ỷ Ỹ Ỵ ĐƯỜNG Ưu Ơn ặ ự ỡ"
    image = render_ticket(dataclasses.replace(content, footer=footer), PaperWidth.MM58)
    style = TicketStyle.for_paper(PaperWidth.MM58)
    font, lines = fit_paragraph(
        footer, FontWeight.REGULAR, style.footer_size, style.minimum_size, 384 - 2 * style.margin
    )
    for line in lines:
        line_image = render_text_line(line, font)
        # Drawn on a roomy canvas, the line has the same ink: the block clipped no mark.
        roomy = Image.new("1", (line_image.width + 200, line_image.height + 200), 1)
        ImageDraw.Draw(roomy).text((100, 150), line, font=font, fill=0, anchor="ls")
        reference = roomy.crop(ink_box(roomy))
        assert find_subimage(line_image, reference) is not None, line
        _left, top, _right, bottom = ink_box(line_image)
        assert top > 0 and bottom < line_image.height
        assert find_subimage(image, line_image.crop(ink_box(line_image)))


@pytest.mark.parametrize("paper", list(PaperWidth))
def test_a_ticket_with_no_counter_open_says_so(content: TicketContent, paper: PaperWidth) -> None:
    """Through the whole path (raster, ESC/POS bytes, the test renderer), as a printer gets it."""
    unknown = dataclasses.replace(content, people_ahead=None, eta_minutes=None)
    image = render_escpos(ticket_bytes(unknown, paper), width_dots=paper.dots).image
    style = TicketStyle.for_paper(paper)
    width = paper.dots - 2 * style.margin
    for text, present in [("Chưa có quầy mở cho thủ tục này", True),
                          ("Thời gian chờ dự kiến: chưa xác định", True),
                          ("Số người đang chờ trước bạn: 7", False)]:
        font, lines = fit_paragraph(text, FontWeight.REGULAR, style.detail_size,
                                    style.minimum_size, width)
        found = [find_subimage(image, line_image.crop(ink_box(line_image)))
                 for line_image in (render_text_line(line, font) for line in lines)]
        assert all(found) if present else not any(found), text


def test_english_ticket_renders(content: TicketContent) -> None:
    english = dataclasses.replace(content, language="en", priority_label=None)  # type: ignore[arg-type]
    image = render_ticket(english, PaperWidth.MM80)
    font = load_font(TicketStyle.for_paper(PaperWidth.MM80).detail_size)
    hint = render_text_line("Scan to follow your turn", font)
    assert find_subimage(image, hint.crop(ink_box(hint)))


def test_a_word_wider_than_the_paper_is_split_between_letters() -> None:
    font = load_font(30, FontWeight.BOLD)
    word = "Nghĩa" * 12
    lines = wrap_text(f"Xã {word} Hành", font, 300)
    assert all(text_width(line, font) <= 300 for line in lines)
    assert "".join(lines).replace(" ", "") == f"Xã{word}Hành"


def test_too_long_status_url_is_refused(content: TicketContent) -> None:
    long_url = "https://hcc.example.vn/" + "x" * 1500
    with pytest.raises(TicketContentError, match="status_url"):
        render_ticket(dataclasses.replace(content, status_url=long_url), PaperWidth.MM58)


words = st.text(
    alphabet="aăâbcdđeêghiklmnoôơpqrstuưvxyàáảãạằắẳẵặầấẩẫậềếểễệọộợụựỳýỷỹỵĐƯ–-,.",
    min_size=1,
    max_size=14,
)


@settings(max_examples=60, deadline=None, derandomize=True, database=None)
@given(st.lists(words, min_size=1, max_size=25), st.sampled_from([120, 200, 368, 544]))
def test_wrapping_never_overflows_and_keeps_words(text_words: list[str], width: int) -> None:
    font = load_font(24, FontWeight.REGULAR)
    lines = wrap_text(" ".join(text_words), font, width)
    assert all(text_width(line, font) <= width for line in lines)
    if all(text_width(word, font) <= width for word in text_words):
        assert " ".join(lines).split() == text_words
