"""A test renderer: draws ESC/POS bytes back into an image, as the paper would look.

No pip package renders ESC/POS, so the project has this one. It understands the subset a
ticket uses and refuses anything else with :class:`EscposRenderError` naming the byte offset:

==============  ==================================================================
bytes           meaning here
==============  ==================================================================
``ESC @``       initialise: reset modes (keeps what is already printed)
``ESC E n``     bold on/off (text)
``ESC ! n``     print mode: font B (bit 0), bold (3), double height (4), double width
                (5), underline (7) (text)
``ESC a n``     alignment 0/48 left, 1/49 centre, 2/50 right (text, native QR)
``ESC t n``     code page for text: 0 CP437, 2 CP850, 16 CP1252, 17 CP866, 18 CP852,
                19 CP858, 52 CP1258
``ESC d n``     print the line buffer and feed ``n`` lines (blank space)
``GS ! n``      character size: width ``(n >> 4) + 1``, height ``(n & 15) + 1``
``GS v 0 ...``  raster bit image; modes 0-3 / 48-51 (double width / height scale it)
``GS ( k ...``  native QR code (cn 49): model, module size, error level, store, print
``GS V m [n]``  cut (m 0/48 full, 1/49 partial; 65/66 feed ``n`` dots then cut)
``LF``          print the line buffer and feed one line
``CR``          ignored (printers in default mode ignore it too)
printable       text bytes go to the line buffer, decoded with the code page
==============  ==================================================================

Raster blocks are stacked top to bottom in the order received; feeds become blank space.
Text is drawn with the bundled font at 24 dots per line height (like Font A, 12x24) and is
meant for checking presence, not typography. One line feed is 34 dots (1/6 inch at 203 dpi).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from enum import Enum

import qrcode
from PIL import Image, ImageDraw

from hardware.printer.errors import EscposRenderError
from hardware.printer.font import FontWeight, load_font

logger = logging.getLogger(__name__)

LINE_FEED_DOTS = 34
"""Height of one line feed in dots (default line spacing, 1/6 inch at 203 dpi)."""
TEXT_HEIGHT_DOTS = 24
"""Character height of Font A in dots; font B uses 17."""
DEFAULT_WIDTH_DOTS = 576
"""Paper width used when neither the caller nor any raster block gives one."""

_ESC = 0x1B
_GS = 0x1D
_LF = 0x0A
_CR = 0x0D
_INVERT = bytes(255 - value for value in range(256))
_CODE_PAGES = {
    0: "cp437",
    2: "cp850",
    16: "cp1252",
    17: "cp866",
    18: "cp852",
    19: "cp858",
    52: "cp1258",
}
_QR_ERROR_LEVELS = {
    48: qrcode.constants.ERROR_CORRECT_L,
    49: qrcode.constants.ERROR_CORRECT_M,
    50: qrcode.constants.ERROR_CORRECT_Q,
    51: qrcode.constants.ERROR_CORRECT_H,
}


class Alignment(Enum):
    """Justification set by ``ESC a``."""

    LEFT = 0
    CENTRE = 1
    RIGHT = 2


@dataclass(frozen=True)
class Cut:
    """A cut found in the job.

    Attributes:
        y: row of the rendered image where the paper is cut.
        partial: True for a partial cut, False for a full cut.
        offset: byte offset of the ``GS V`` command.
    """

    y: int
    partial: bool
    offset: int


@dataclass(frozen=True)
class RenderedJob:
    """The result of :func:`render_escpos`.

    Attributes:
        image: mode "1" picture of the paper (white = 1), ``width`` dots wide.
        cuts: cuts in order.
        text_lines: decoded text lines printed with ``LF``/``ESC d`` (not raster text).
        raster_blocks: number of ``GS v 0`` blocks.
        qr_payloads: data of native QR codes printed with ``GS ( k``.
        initialised: True when the job contains ``ESC @``.
    """

    image: Image.Image
    cuts: tuple[Cut, ...]
    text_lines: tuple[str, ...]
    raster_blocks: int
    qr_payloads: tuple[bytes, ...]
    initialised: bool


@dataclass
class _TextMode:
    bold: bool = False
    font_b: bool = False
    double_height: bool = False
    double_width: bool = False
    width_multiplier: int = 1
    height_multiplier: int = 1
    alignment: Alignment = Alignment.LEFT
    code_page: int = 0


@dataclass
class _Paper:
    """Printed output so far: a list of placed pieces, composed at the end."""

    pieces: list[tuple[Image.Image, int, Alignment]] = field(default_factory=list)
    height: int = 0

    def add(self, image: Image.Image, alignment: Alignment) -> None:
        self.pieces.append((image, self.height, alignment))
        self.height += image.height

    def feed(self, dots: int) -> None:
        self.height += dots


def render_escpos(data: bytes, *, width_dots: int | None = None) -> RenderedJob:
    """Render an ESC/POS job to an image.

    Args:
        data: the job bytes.
        width_dots: paper width; None takes the widest raster block (or 576 without one).

    Raises:
        EscposRenderError: an unsupported or truncated command, with its byte offset.
    """
    return _Renderer(data).run(width_dots)


def render_escpos_to_png(data: bytes, path: str, *, width_dots: int | None = None) -> RenderedJob:
    """Render ``data`` like :func:`render_escpos` and save the image as PNG at ``path``."""
    job = render_escpos(data, width_dots=width_dots)
    job.image.save(path, format="PNG")
    return job


class _Renderer:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.position = 0
        self.mode = _TextMode()
        self.paper = _Paper()
        self.line = bytearray()
        self.text_lines: list[str] = []
        self.cut_records: list[Cut] = []
        self.raster_blocks = 0
        self.qr_payloads: list[bytes] = []
        self.qr_store = b""
        self.qr_module = 3
        self.qr_error = qrcode.constants.ERROR_CORRECT_L
        self.initialised = False
        self.raster_width = 0

    def run(self, width_dots: int | None) -> RenderedJob:
        while self.position < len(self.data):
            self._step()
        if self.line:
            self._print_line(feed=False)
        width = width_dots or self.raster_width or DEFAULT_WIDTH_DOTS
        image = Image.new("1", (width, max(self.paper.height, 1)), 1)
        for piece, y, alignment in self.paper.pieces:
            if piece.width > width:
                piece = piece.crop((0, 0, width, piece.height))
            if alignment is Alignment.CENTRE:
                x = (width - piece.width) // 2
            elif alignment is Alignment.RIGHT:
                x = width - piece.width
            else:
                x = 0
            image.paste(piece, (x, y))
        return RenderedJob(
            image=image,
            cuts=tuple(self.cut_records),
            text_lines=tuple(self.text_lines),
            raster_blocks=self.raster_blocks,
            qr_payloads=tuple(self.qr_payloads),
            initialised=self.initialised,
        )

    # -- reading helpers -------------------------------------------------------------------

    def _take(self, count: int, start: int, name: str) -> bytes:
        end = self.position + count
        if end > len(self.data):
            raise EscposRenderError(
                f"{name} is truncated: needs {end - start} bytes, job ends after "
                f"{len(self.data) - start}",
                start,
            )
        chunk = self.data[self.position : end]
        self.position = end
        return chunk

    # -- dispatch --------------------------------------------------------------------------

    def _step(self) -> None:
        start = self.position
        byte = self.data[start]
        self.position += 1
        if byte == _ESC:
            self._escape(start)
        elif byte == _GS:
            self._group_separator(start)
        elif byte == _LF:
            self._print_line(feed=True)
        elif byte == _CR:
            return
        elif byte < 0x20 or byte == 0x7F:
            raise EscposRenderError(f"unsupported control byte 0x{byte:02x}", start)
        else:
            self.line.append(byte)

    def _escape(self, start: int) -> None:
        (command,) = self._take(1, start, "ESC command")
        if command == ord("@"):
            self.mode = _TextMode()
            self.line.clear()
            self.initialised = True
            return
        if command not in b"E!atd":
            raise EscposRenderError(
                f"unsupported command ESC 0x{command:02x} ({_printable(command)})", start
            )
        (argument,) = self._take(1, start, f"ESC {chr(command)}")
        if command == ord("E"):
            self.mode.bold = bool(argument & 1)
        elif command == ord("!"):
            self.mode.font_b = bool(argument & 0x01)
            self.mode.bold = bool(argument & 0x08)
            self.mode.double_height = bool(argument & 0x10)
            self.mode.double_width = bool(argument & 0x20)
        elif command == ord("a"):
            self.mode.alignment = _alignment(argument, start)
        elif command == ord("t"):
            if argument not in _CODE_PAGES:
                raise EscposRenderError(
                    f"ESC t {argument}: code page not supported by the test renderer", start
                )
            self.mode.code_page = argument
        else:  # ESC d n
            if self.line:
                self._print_line(feed=True)
                argument = max(argument - 1, 0)
            self.paper.feed(argument * LINE_FEED_DOTS)

    def _group_separator(self, start: int) -> None:
        (command,) = self._take(1, start, "GS command")
        if command == ord("!"):
            (size,) = self._take(1, start, "GS !")
            width, height = (size >> 4) + 1, (size & 0x0F) + 1
            if width > 8 or height > 8:
                raise EscposRenderError(f"GS ! 0x{size:02x}: size out of range 1..8", start)
            self.mode.width_multiplier, self.mode.height_multiplier = width, height
        elif command == ord("v"):
            self._raster(start)
        elif command == ord("("):
            (function,) = self._take(1, start, "GS (")
            if function != ord("k"):
                raise EscposRenderError(
                    f"unsupported command GS ( 0x{function:02x} ({_printable(function)})", start
                )
            self._two_dimensional_code(start)
        elif command == ord("V"):
            self._cut(start)
        else:
            raise EscposRenderError(
                f"unsupported command GS 0x{command:02x} ({_printable(command)})", start
            )

    # -- commands --------------------------------------------------------------------------

    def _raster(self, start: int) -> None:
        header = self._take(6, start, "GS v 0 header")
        if header[0] != ord("0"):
            raise EscposRenderError(f"unsupported command GS v 0x{header[0]:02x}", start)
        mode = header[1]
        if mode not in (0, 1, 2, 3, 48, 49, 50, 51):
            raise EscposRenderError(f"GS v 0: invalid mode {mode}", start)
        width_bytes = header[2] + 256 * header[3]
        rows = header[4] + 256 * header[5]
        if width_bytes == 0 or rows == 0:
            raise EscposRenderError("GS v 0: empty image", start)
        raster = self._take(width_bytes * rows, start, "GS v 0 image data")
        if self.line:
            self._print_line(feed=False)
        block = Image.frombytes("1", (width_bytes * 8, rows), raster.translate(_INVERT))
        scale_x = 2 if mode & 1 else 1
        scale_y = 2 if mode & 2 else 1
        if scale_x != 1 or scale_y != 1:
            block = block.resize(
                (block.width * scale_x, block.height * scale_y), Image.Resampling.NEAREST
            )
        self.raster_width = max(self.raster_width, block.width)
        self.raster_blocks += 1
        self.paper.add(block, Alignment.LEFT)

    def _two_dimensional_code(self, start: int) -> None:
        low, high = self._take(2, start, "GS ( k length")
        body = self._take(low + 256 * high, start, "GS ( k parameters")
        if len(body) < 2:
            raise EscposRenderError("GS ( k: parameters shorter than cn fn", start)
        symbol, function = body[0], body[1]
        if symbol != 49:
            raise EscposRenderError(f"GS ( k cn={symbol}: only QR code (cn 49) is supported", start)
        arguments = body[2:]
        if function == 65:  # select model
            return
        if function == 67:  # module size
            self.qr_module = _single_argument(arguments, start, "module size")
        elif function == 69:  # error correction level
            level = _single_argument(arguments, start, "error correction level")
            if level not in _QR_ERROR_LEVELS:
                raise EscposRenderError(f"GS ( k: invalid QR error level {level}", start)
            self.qr_error = _QR_ERROR_LEVELS[level]
        elif function == 80:  # store data (m = 48, then the data)
            self.qr_store = arguments[1:]
        elif function == 81:  # print stored symbol
            self._print_qr(start)
        elif function == 82:  # transmit size information: nothing to draw
            return
        else:
            raise EscposRenderError(f"GS ( k: unsupported QR function {function}", start)

    def _print_qr(self, start: int) -> None:
        if not self.qr_store:
            raise EscposRenderError("GS ( k: print QR without stored data", start)
        if self.line:
            self._print_line(feed=False)
        code = qrcode.QRCode(error_correction=self.qr_error, border=0)
        code.add_data(self.qr_store)
        code.make(fit=True)
        matrix: list[list[bool]] = code.get_matrix()
        side = len(matrix)
        small = Image.new("1", (side, side), 1)
        small.putdata([0 if dark else 1 for row in matrix for dark in row])
        module = max(self.qr_module, 1)
        self.paper.add(
            small.resize((side * module, side * module), Image.Resampling.NEAREST),
            self.mode.alignment,
        )
        self.qr_payloads.append(self.qr_store)

    def _cut(self, start: int) -> None:
        (mode,) = self._take(1, start, "GS V")
        if mode in (0, 48):
            partial = False
        elif mode in (1, 49):
            partial = True
        elif mode in (65, 66):
            (feed,) = self._take(1, start, "GS V")
            partial = mode == 66
            if self.line:
                self._print_line(feed=True)
            self.paper.feed(feed)
        else:
            raise EscposRenderError(f"GS V: invalid cut mode {mode}", start)
        if self.line:
            self._print_line(feed=True)
        self.cut_records.append(Cut(y=self.paper.height, partial=partial, offset=start))

    def _print_line(self, *, feed: bool) -> None:
        if not self.line:
            if feed:
                self.paper.feed(LINE_FEED_DOTS)
            return
        text = bytes(self.line).decode(_CODE_PAGES[self.mode.code_page], errors="replace")
        self.line.clear()
        self.text_lines.append(text)
        image = self._draw_text(text)
        self.paper.add(image, self.mode.alignment)
        if feed:
            self.paper.feed(max(LINE_FEED_DOTS - image.height, 0))

    def _draw_text(self, text: str) -> Image.Image:
        height_multiplier = self.mode.height_multiplier * (2 if self.mode.double_height else 1)
        width_multiplier = self.mode.width_multiplier * (2 if self.mode.double_width else 1)
        base = 17 if self.mode.font_b else TEXT_HEIGHT_DOTS
        font = load_font(base, FontWeight.BOLD if self.mode.bold else FontWeight.REGULAR)
        ascent, descent = font.getmetrics()
        width = max(int(font.getbbox(text, mode="1")[2]), 1)
        image = Image.new("1", (width, ascent + descent), 1)
        ImageDraw.Draw(image).text((0, 0), text, font=font, fill=0)
        if width_multiplier != 1 or height_multiplier != 1:
            image = image.resize(
                (image.width * width_multiplier, image.height * height_multiplier),
                Image.Resampling.NEAREST,
            )
        return image


def _alignment(argument: int, start: int) -> Alignment:
    if argument in (0, 48):
        return Alignment.LEFT
    if argument in (1, 49):
        return Alignment.CENTRE
    if argument in (2, 50):
        return Alignment.RIGHT
    raise EscposRenderError(f"ESC a {argument}: invalid alignment", start)


def _single_argument(arguments: bytes, start: int, name: str) -> int:
    if len(arguments) != 1:
        raise EscposRenderError(f"GS ( k: {name} needs one byte, got {len(arguments)}", start)
    return arguments[0]


def _printable(byte: int) -> str:
    return f"'{chr(byte)}'" if 0x20 <= byte < 0x7F else "non-printable"


def find_subimage(haystack: Image.Image, needle: Image.Image) -> tuple[int, int] | None:
    """Return the top-left ``(x, y)`` where ``needle`` appears pixel-exactly in ``haystack``.

    Both images are compared in mode "L" (so mode "1" images compare by black/white). Meant
    for tests: render a text line alone with the ticket's font and look for it on the paper.
    Returns None when there is no exact match or ``needle`` is larger than ``haystack``.
    """
    hay = haystack.convert("L")
    pin = needle.convert("L")
    hay_width, hay_height = hay.size
    pin_width, pin_height = pin.size
    if pin_width == 0 or pin_height == 0 or pin_width > hay_width or pin_height > hay_height:
        return None
    hay_bytes = hay.tobytes()
    pin_bytes = pin.tobytes()
    pin_rows = [pin_bytes[row * pin_width : (row + 1) * pin_width] for row in range(pin_height)]
    # Search by the darkest row: it occurs in the fewest places.
    anchor = max(range(pin_height), key=lambda row: pin_rows[row].count(0))
    pattern = pin_rows[anchor]
    for y in range(anchor, hay_height - pin_height + anchor + 1):
        row_start = y * hay_width
        row = hay_bytes[row_start : row_start + hay_width]
        x = row.find(pattern)
        while x != -1:
            top = y - anchor
            if all(
                hay_bytes[(top + r) * hay_width + x : (top + r) * hay_width + x + pin_width]
                == pin_rows[r]
                for r in range(pin_height)
            ):
                return x, top
            x = row.find(pattern, x + 1)
    return None
