"""ESC/POS job bytes, checked by rendering them back into what the paper shows."""

from __future__ import annotations

import pytest
import zxingcpp
from PIL import Image, ImageChops, ImageOps

from hardware.printer.errors import PrinterError
from hardware.printer.escpos_bytes import (
    FULL_CUT_AFTER_FEED,
    INITIALISE,
    PARTIAL_CUT_AFTER_FEED,
    RASTER_IMAGE,
    CutMode,
    raster_job_bytes,
    ticket_bytes,
)
from hardware.printer.font import FontWeight
from hardware.printer.layout import PaperWidth, TicketContent
from hardware.printer.raster import TicketStyle, fit_paragraph, render_text_line, render_ticket
from hardware.printer.render import find_subimage, render_escpos


@pytest.mark.parametrize("paper", list(PaperWidth))
def test_job_structure(content: TicketContent, paper: PaperWidth) -> None:
    data = ticket_bytes(content, paper)
    assert data.startswith(INITIALISE)
    assert data[2:5] == RASTER_IMAGE
    width_bytes = data[6] + 256 * data[7]
    assert width_bytes * 8 == paper.dots
    assert data.endswith(b"\x1bd\x01" + PARTIAL_CUT_AFTER_FEED)
    assert data.count(b"\x1dV") >= 1


@pytest.mark.parametrize("paper", list(PaperWidth))
def test_round_trip_reproduces_the_raster_and_the_qr(
    content: TicketContent, paper: PaperWidth
) -> None:
    data = ticket_bytes(content, paper)
    job = render_escpos(data)
    assert job.initialised
    assert job.raster_blocks >= 1
    assert [cut.partial for cut in job.cuts] == [True]
    assert job.image.width == paper.dots
    expected = render_ticket(content, paper)
    printed = job.image.crop((0, 0, expected.width, expected.height))
    assert ImageChops.difference(printed.convert("L"), expected.convert("L")).getbbox() is None
    # Below the ticket only blank feed remains.
    rest = job.image.crop((0, expected.height, job.image.width, job.image.height))
    assert ImageOps.invert(rest.convert("L")).getbbox() is None
    decoded = zxingcpp.read_barcodes(job.image.convert("L"))
    assert [result.text for result in decoded] == [content.status_url]


@pytest.mark.parametrize("paper", list(PaperWidth))
def test_vietnamese_service_name_is_in_the_printed_bytes(
    content: TicketContent, paper: PaperWidth
) -> None:
    printed = render_escpos(ticket_bytes(content, paper)).image
    style = TicketStyle.for_paper(paper)
    font, lines = fit_paragraph(
        content.service_name,
        FontWeight.BOLD,
        style.service_size,
        style.minimum_size,
        paper.dots - 2 * style.margin,
    )
    assert "".join(lines).replace(" ", "") == content.service_name.replace(" ", "")
    for line in lines:
        line_image = render_text_line(line, font)
        box = ImageOps.invert(line_image.convert("L")).getbbox()
        assert find_subimage(printed, line_image.crop(box)) is not None, line


def test_cut_modes(content: TicketContent) -> None:
    full = ticket_bytes(content, PaperWidth.MM58, cut=CutMode.FULL, feed_lines=5)
    assert full.endswith(b"\x1bd\x05" + FULL_CUT_AFTER_FEED)
    assert [cut.partial for cut in render_escpos(full).cuts] == [False]
    none = ticket_bytes(content, PaperWidth.MM58, cut=CutMode.NONE)
    assert b"\x1dV" not in none[-8:]
    assert render_escpos(none).cuts == ()


def test_tall_images_are_split_into_several_blocks() -> None:
    image = Image.new("1", (384, 1300), 1)
    data = raster_job_bytes(image, PaperWidth.MM58, fragment_height=500)
    job = render_escpos(data)
    assert job.raster_blocks == 3
    assert job.image.height >= 1300


def test_too_wide_image_is_refused() -> None:
    with pytest.raises(PrinterError, match="576"):
        raster_job_bytes(Image.new("1", (600, 10), 1), PaperWidth.MM80)


def test_python_escpos_prints_no_warnings(
    content: TicketContent, capsys: pytest.CaptureFixture[str]
) -> None:
    ticket_bytes(content, PaperWidth.MM80)
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == ""
