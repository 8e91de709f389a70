"""Turns a ticket into the ESC/POS bytes a thermal printer prints. Pure: content in, bytes out.

A job is: ``ESC @`` (initialise), the ticket raster as ``GS v 0`` blocks, ``ESC d n`` (feed a
few lines), then the cut: ``GS V 66 0`` ("feed to the cutting position and cut partially"),
``GS V 65 0`` for a full cut, or nothing for printers without a cutter. Function B of
``GS V`` feeds exactly the distance between print head and cutter, so the cut never crosses
the footer.

Raster printing is used because printers' code pages do not cover Vietnamese reliably:
python-escpos's "magic" encoding picks TCVN-3 pages only on some Epson profiles, CP1258 fails
for precomposed letters, cheap 58 mm profiles print ``?``, and the page that holds Vietnamese
differs by vendor. The raster (``GS v 0``) always works.

The ``GS v 0`` blocks are python-escpos's ``image(impl="bitImageRaster")`` on a ``Dummy``
printer. For a mode "1" image (every ticket) the same bytes are packed directly: Pillow's
``tobytes()`` of the inverted image *is* the raster format (8 dots a byte, most significant
first, rows padded to a byte with unprinted dots), whereas python-escpos converts the image to
RGBA, greyscale and back to 1-bit, once for the whole ticket and again per block, which cost
more than drawing the ticket. The tests check that both give identical bytes; any other mode
goes through python-escpos.

python-escpos is imported on first use, not at import time: importing it calls
``logging.basicConfig()``, which would pre-empt the application's own logging setup if it
happened while the application is still importing its modules.
"""

from __future__ import annotations

import copy
import functools
import logging
from enum import Enum
from typing import Any

from PIL import Image

from hardware.printer.errors import PrinterError
from hardware.printer.layout import PaperWidth, TicketContent
from hardware.printer.raster import TicketStyle, render_ticket

logger = logging.getLogger(__name__)

ESC = b"\x1b"
GS = b"\x1d"
INITIALISE = ESC + b"@"
RASTER_IMAGE = GS + b"v0"
FEED_LINES = ESC + b"d"
PARTIAL_CUT_AFTER_FEED = GS + b"V" + bytes((66, 0))
FULL_CUT_AFTER_FEED = GS + b"V" + bytes((65, 0))

_INVERT_BITS = bytes(255 - value for value in range(256))

DEFAULT_FEED_LINES = 1
"""Lines fed after the raster, before the cut command (which adds the head-to-cutter feed)."""

DEFAULT_FRAGMENT_HEIGHT = 512
"""Rows per ``GS v 0`` block; small blocks suit printers with small receive buffers."""


class CutMode(Enum):
    """How the job ends."""

    PARTIAL = "partial"
    """``GS V 66 0``: feed to the cutter, cut leaving a small hinge (the ticket stays put)."""
    FULL = "full"
    """``GS V 65 0``: feed to the cutter, cut through."""
    NONE = "none"
    """No cut command; for printers with a tear bar only (feed more lines instead)."""


def ticket_bytes(
    content: TicketContent,
    paper: PaperWidth,
    *,
    cut: CutMode = CutMode.PARTIAL,
    feed_lines: int = DEFAULT_FEED_LINES,
    style: TicketStyle | None = None,
) -> bytes:
    """Render ``content`` for ``paper`` and return the complete print job.

    Raises:
        TicketContentError: invalid content (see :func:`raster.render_ticket`).
        PrinterError: the image could not be encoded.
    """
    image = render_ticket(content, paper, style)
    return raster_job_bytes(image, paper, cut=cut, feed_lines=feed_lines)


def raster_job_bytes(
    image: Image.Image,
    paper: PaperWidth,
    *,
    cut: CutMode = CutMode.PARTIAL,
    feed_lines: int = DEFAULT_FEED_LINES,
    fragment_height: int = DEFAULT_FRAGMENT_HEIGHT,
) -> bytes:
    """Return ``ESC @`` + ``image`` as ``GS v 0`` blocks + ``ESC d feed_lines`` + the cut.

    ``image`` may be any Pillow mode; dark pixels print. It must not be wider than ``paper``.

    Raises:
        PrinterError: the image is wider than the paper, or python-escpos rejected it.
        ValueError: ``feed_lines`` is outside 0..255 or ``fragment_height`` is not positive.
    """
    if not 0 <= feed_lines <= 255:
        raise ValueError(f"feed_lines must be within 0..255, got {feed_lines}")
    if fragment_height <= 0:
        raise ValueError(f"fragment_height must be positive, got {fragment_height}")
    if image.width > paper.dots:
        raise PrinterError(f"image is {image.width} dots wide but {paper.name} has {paper.dots}")
    if image.mode == "1":
        data = _pack_raster_job(image, fragment_height, feed_lines)
    else:
        data = _python_escpos_raster_job(image, paper, fragment_height, feed_lines)
    if cut is CutMode.PARTIAL:
        data += PARTIAL_CUT_AFTER_FEED
    elif cut is CutMode.FULL:
        data += FULL_CUT_AFTER_FEED
    logger.debug("encoded a %dx%d raster into %d bytes", image.width, image.height, len(data))
    return data


def _pack_raster_job(image: Image.Image, fragment_height: int, feed_lines: int) -> bytes:
    """``ESC @``, ``GS v 0`` blocks and ``ESC d n`` for a mode "1" image, byte-identical to
    :func:`_python_escpos_raster_job` (python-escpos also splits only images taller than
    ``fragment_height``)."""
    width_bytes = (image.width + 7) // 8
    if image.width % 8:
        # Pad each row with unprinted dots, as python-escpos's conversion does.
        padded = Image.new("1", (width_bytes * 8, image.height), 1)
        padded.paste(image, (0, 0))
        image = padded
    parts = [INITIALISE]
    for top in range(0, image.height, fragment_height):
        rows = min(fragment_height, image.height - top)
        block = image if rows == image.height else image.crop((0, top, image.width, top + rows))
        parts.append(RASTER_IMAGE + bytes((0, width_bytes & 0xFF, width_bytes >> 8,
                                           rows & 0xFF, rows >> 8)))
        # ESC/POS: a 1 bit prints; Pillow's mode "1": a 1 bit is white.
        parts.append(block.tobytes().translate(_INVERT_BITS))
    parts.append(FEED_LINES + bytes((feed_lines,)))
    return b"".join(parts)


def _python_escpos_raster_job(
    image: Image.Image, paper: PaperWidth, fragment_height: int, feed_lines: int
) -> bytes:
    """``ESC @``, the image through python-escpos's ``image(impl="bitImageRaster")``, and
    ``ESC d n``: for images of any mode (python-escpos converts them to 1-bit)."""
    from escpos.exceptions import Error as EscposLibraryError
    from escpos.printer import Dummy

    printer = Dummy(profile=_generic_profile(paper.dots))
    try:
        printer.hw("INIT")
        printer.image(
            image,
            impl="bitImageRaster",
            center=False,
            fragment_height=fragment_height,
        )
        printer.print_and_feed(feed_lines)
    except EscposLibraryError as error:
        raise PrinterError(f"python-escpos could not encode the ticket: {error}") from error
    data: bytes = printer.output
    return data


@functools.lru_cache(maxsize=4)
def _generic_profile(width_dots: int) -> Any:
    """python-escpos's generic "default" profile with the paper width filled in.

    The stock generic profile leaves the media width "Unknown", which makes ``image()`` print
    a warning to stdout on every call; vendor profiles would tie us to one brand.
    """
    from escpos.capabilities import CAPABILITIES, Profile

    data = copy.deepcopy(CAPABILITIES["profiles"]["default"])
    data["name"] = f"Generic {width_dots} dots"
    data["media"] = {"dpi": 203, "width": {"mm": "Unknown", "pixels": width_dots}}

    class TicketProfile(Profile):  # type: ignore[misc]  # escpos is untyped
        profile_data = data

    return TicketProfile(features=dict(data["features"]))
