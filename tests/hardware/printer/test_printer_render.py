"""The test ESC/POS renderer understands the ticket subset and refuses the rest clearly."""

from __future__ import annotations

from pathlib import Path

import pytest
import zxingcpp
from escpos.printer import Dummy
from PIL import Image, ImageOps

from hardware.printer.errors import EscposRenderError, PrinterError
from hardware.printer.render import (
    LINE_FEED_DOTS,
    find_subimage,
    render_escpos,
    render_escpos_to_png,
)

ESC = b"\x1b"
GS = b"\x1d"


def raster_command(image: Image.Image) -> bytes:
    """GS v 0 for a mode "1" image whose width is a multiple of 8 (1 = print)."""
    inverted = ImageOps.invert(image.convert("L")).convert("1")
    data = inverted.tobytes()
    width_bytes = image.width // 8
    return (
        GS
        + b"v0\x00"
        + bytes((width_bytes % 256, width_bytes // 256, image.height % 256, image.height // 256))
        + data
    )


def ink_box(image: Image.Image) -> tuple[int, int, int, int] | None:
    return ImageOps.invert(image.convert("L")).getbbox()


def test_raster_blocks_stack_and_feeds_leave_blank_space() -> None:
    first = Image.new("1", (64, 10), 0)
    second = Image.new("1", (64, 20), 1)
    second.paste(0, (8, 5, 16, 15))
    data = ESC + b"@" + raster_command(first) + ESC + b"d\x03" + raster_command(second)
    job = render_escpos(data)
    assert job.raster_blocks == 2
    assert job.image.size == (64, 10 + 3 * LINE_FEED_DOTS + 20)
    assert ink_box(job.image.crop((0, 0, 64, 10))) == (0, 0, 64, 10)
    gap = job.image.crop((0, 10, 64, 10 + 3 * LINE_FEED_DOTS))
    assert ink_box(gap) is None
    assert find_subimage(job.image, second) == (0, 10 + 3 * LINE_FEED_DOTS)


def test_double_width_and_height_raster_modes() -> None:
    block = Image.new("1", (8, 4), 0)
    command = raster_command(block)
    scaled = command[:3] + b"\x03" + command[4:]
    assert render_escpos(scaled).image.size == (16, 8)


def test_text_commands_and_alignment() -> None:
    printer = Dummy()
    printer.set(align="center", bold=True, double_height=True)
    printer.text("Xin chao\n")
    data = ESC + b"@" + printer.output + GS + b"!\x11" + b"So 12\n" + b"\n"
    job = render_escpos(data, width_dots=576)
    assert job.text_lines == ("Xin chao", "So 12")
    left, _top, right, _bottom = ink_box(job.image) or (0, 0, 0, 0)
    assert abs((left + right) / 2 - 288) < 12  # centred
    assert job.image.height >= 3 * LINE_FEED_DOTS


def test_native_qr_code_renders_and_decodes() -> None:
    printer = Dummy()
    printer.qr("https://hcc.example.vn/ve/A012", native=True, size=6)
    job = render_escpos(ESC + b"@" + ESC + b"a\x01" + printer.output + b"\n")
    assert job.qr_payloads == (b"https://hcc.example.vn/ve/A012",)
    padded = ImageOps.expand(job.image.convert("L"), border=24, fill=255)
    assert [result.text for result in zxingcpp.read_barcodes(padded)] == [
        "https://hcc.example.vn/ve/A012"
    ]


@pytest.mark.parametrize(
    ("command", "partial", "extra_feed"),
    [
        (GS + b"V\x00", False, 0),
        (GS + b"V0", False, 0),
        (GS + b"V\x01", True, 0),
        (GS + b"V1", True, 0),
        (GS + b"VA\x10", False, 16),
        (GS + b"VB\x00", True, 0),
    ],
)
def test_cut_commands(command: bytes, partial: bool, extra_feed: int) -> None:
    data = raster_command(Image.new("1", (8, 5), 0)) + command
    job = render_escpos(data)
    assert len(job.cuts) == 1
    assert job.cuts[0].partial is partial
    assert job.cuts[0].y == 5 + extra_feed
    assert job.cuts[0].offset == len(data) - len(command)


@pytest.mark.parametrize(
    ("data", "offset", "fragment"),
    [
        (ESC + b"@" + ESC + b"{\x00", 2, "ESC 0x7b"),
        (ESC + b"@" + b"abc" + GS + b"b\x00", 5, "GS 0x62"),
        (b"\x07", 0, "control byte 0x07"),
        (ESC + b"t\x1e", 0, "code page"),
        (GS + b"v0\x00\x02\x00\x05\x00" + b"\x00" * 3, 0, "truncated"),
        (GS + b"(k\x03\x000C\x06", 0, "cn=48"),
        (ESC, 0, "truncated"),
        (GS + b"V\x07", 0, "cut mode"),
    ],
)
def test_unsupported_or_broken_commands_name_the_offset(
    data: bytes, offset: int, fragment: str
) -> None:
    with pytest.raises(EscposRenderError, match=f"{fragment}.*byte offset {offset}") as caught:
        render_escpos(data)
    assert caught.value.offset == offset
    assert isinstance(caught.value, PrinterError)


def test_set_with_default_is_refused_not_misread() -> None:
    printer = Dummy()
    printer.set_with_default(align="center")
    with pytest.raises(EscposRenderError, match="ESC 0x7b"):
        render_escpos(printer.output)


def test_png_is_written(tmp_path: Path) -> None:
    path = tmp_path / "job.png"
    render_escpos_to_png(raster_command(Image.new("1", (16, 16), 0)), str(path))
    with Image.open(path) as image:
        assert image.size == (16, 16)


def test_find_subimage_exact_and_absent() -> None:
    haystack = Image.new("1", (50, 40), 1)
    needle = Image.new("1", (6, 3), 1)
    needle.putpixel((1, 1), 0)
    needle.putpixel((4, 2), 0)
    assert find_subimage(haystack, needle) is None
    haystack.paste(needle, (30, 17))
    assert find_subimage(haystack, needle) == (30, 17)
    assert find_subimage(needle, haystack) is None
