"""ESC/POS job bytes, checked by rendering them back into what the paper shows."""

from __future__ import annotations

import random

import pytest
import zxingcpp
from PIL import Image, ImageChops, ImageDraw, ImageOps

from hardware.printer.errors import PrinterError
from hardware.printer.escpos_bytes import (
    DEFAULT_FRAGMENT_HEIGHT,
    FULL_CUT_AFTER_FEED,
    INITIALISE,
    PARTIAL_CUT_AFTER_FEED,
    RASTER_IMAGE,
    CutMode,
    _generic_profile,
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


def python_escpos_job(image: Image.Image, paper: PaperWidth, fragment_height: int,
                      feed_lines: int) -> bytes:
    """The same job made by python-escpos itself (``Dummy``, ``image(impl="bitImageRaster")``),
    the reference the direct packing must match byte for byte."""
    from escpos.printer import Dummy

    printer = Dummy(profile=_generic_profile(paper.dots))
    printer.hw("INIT")
    printer.image(image, impl="bitImageRaster", center=False, fragment_height=fragment_height)
    printer.print_and_feed(feed_lines)
    output: bytes = printer.output
    return output


@pytest.mark.parametrize("paper", list(PaperWidth))
def test_ticket_raster_is_packed_exactly_as_python_escpos_packs_it(
    content: TicketContent, paper: PaperWidth
) -> None:
    image = render_ticket(content, paper)
    assert image.height > DEFAULT_FRAGMENT_HEIGHT  # several blocks, the last one shorter
    ours = raster_job_bytes(image, paper, cut=CutMode.NONE, feed_lines=3)
    assert ours == python_escpos_job(image, paper, DEFAULT_FRAGMENT_HEIGHT, 3)


@pytest.mark.parametrize(("width", "height", "fragment_height"), [
    (13, 5, 512), (383, 40, 16), (384, 33, 33), (200, 70, 7)])
def test_odd_sizes_are_packed_exactly_as_python_escpos_packs_them(
    width: int, height: int, fragment_height: int
) -> None:
    pattern = random.Random(width * height)
    image = Image.new("1", (width, height), 1)
    image.putdata([pattern.choice((0, 1)) for _ in range(width * height)])
    ours = raster_job_bytes(image, PaperWidth.MM58, cut=CutMode.NONE, feed_lines=0,
                            fragment_height=fragment_height)
    assert ours == python_escpos_job(image, PaperWidth.MM58, fragment_height, 0)
    # And the rendered paper shows the picture, the padding of short rows left blank.
    printed = render_escpos(ours).image
    assert printed.crop((0, 0, width, height)).tobytes() == image.tobytes()
    assert ImageOps.invert(printed.crop((width, 0, printed.width, height)).convert("L")
                           ).getbbox() is None


def test_greyscale_images_go_through_python_escpos() -> None:
    image = Image.new("L", (64, 10), 255)
    ImageDraw.Draw(image).rectangle((8, 2, 40, 6), fill=20)
    data = raster_job_bytes(image, PaperWidth.MM58, cut=CutMode.NONE)
    assert data == python_escpos_job(image, PaperWidth.MM58, DEFAULT_FRAGMENT_HEIGHT, 1)
    assert ImageOps.invert(render_escpos(data).image.convert("L")).getbbox() == (8, 2, 41, 7)
