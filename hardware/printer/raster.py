"""Draws a ticket as a 1-bit image exactly as wide as the paper.

Pure: content in, Pillow image out (mode "1", white = 1, black = 0). Text is wrapped by
measured pixel width: lines never overflow the printable width, and words are only split
between letters when a single word is wider than the paper even at the smallest size.

Ticket, top to bottom: centre name (bold, centred, wrapped) - rule - service name (bold,
wrapped) - priority band (white on black, when any) - "Số thứ tự" - the number (as large as
fits) - rule - people ahead, estimated wait, counters, date - QR code (error correction M)
and its caption - footer.

Speed: a kiosk renders a ticket between the server's reply and the printer, so the parts that
do not change from ticket to ticket are drawn once and then reused: text measurements, the
font size and line breaks of each paragraph, and the drawn lines themselves (centre name,
service names, labels, footer), keyed by text, font and size, in bounded LRU caches. The
cached blocks are Pillow images shared between tickets and are never drawn on after caching:
they are only pasted into a new image. The QR code's mask is chosen with bit operations
(:mod:`hardware.printer.qr`). Output is the same as drawing everything afresh.
"""

from __future__ import annotations

import functools
import logging
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum

import qrcode
from PIL import Image, ImageDraw, ImageFont

from hardware.printer.errors import TicketContentError
from hardware.printer.font import FontWeight, load_font, missing_characters
from hardware.printer.layout import PaperWidth, TicketContent, TicketText, ticket_text
from hardware.printer.qr import qr_modules

logger = logging.getLogger(__name__)

WHITE = 1
"""Pixel value of unprinted paper in a mode "1" image."""
BLACK = 0
"""Pixel value of a printed dot in a mode "1" image."""

SHRINK_TO_SAVE_A_LINE = 0.15
"""Largest share by which a paragraph's font may shrink so that it needs one line fewer."""

_TALL_SAMPLE = "ẤẦẨẪỄỖỮỸẰẲẴỆÁÂ|"
_DEEP_SAMPLE = "gjpqyỵỴỵỹ|,"


class Alignment(Enum):
    """Horizontal placement of a text line inside its block."""

    LEFT = "left"
    CENTRE = "centre"


@dataclass(frozen=True)
class TicketStyle:
    """Sizes in dots for one paper width. Use :meth:`for_paper` unless tuning.

    Attributes:
        margin: blank dots left and right of the content.
        centre_size / service_size / label_size / detail_size / footer_size: em sizes.
        minimum_size: smallest em size text may shrink to before words are split.
        number_max_height: cap on the number's ink height (dots).
        number_width_share: share of the content width the number may fill.
        qr_target: wanted side of the QR code including its quiet zone (dots).
        qr_minimum_module: smallest QR module size (dots) accepted.
        gap: vertical space between sections.
        rule_thickness: thickness of the horizontal rules.
        bottom_margin: blank dots after the footer.
    """

    margin: int
    centre_size: int
    service_size: int
    label_size: int
    detail_size: int
    footer_size: int
    minimum_size: int
    number_max_height: int
    number_width_share: float
    qr_target: int
    qr_minimum_module: int
    gap: int
    rule_thickness: int
    bottom_margin: int

    @classmethod
    def for_paper(cls, paper: PaperWidth) -> TicketStyle:
        """The default style for ``paper``."""
        if paper is PaperWidth.MM58:
            return cls(
                margin=8,
                centre_size=24,
                service_size=24,
                label_size=22,
                detail_size=20,
                footer_size=18,
                minimum_size=16,
                number_max_height=150,
                number_width_share=0.92,
                qr_target=220,
                qr_minimum_module=3,
                gap=14,
                rule_thickness=2,
                bottom_margin=16,
            )
        return cls(
            margin=16,
            centre_size=30,
            service_size=30,
            label_size=28,
            detail_size=25,
            footer_size=21,
            minimum_size=18,
            number_max_height=210,
            number_width_share=0.9,
            qr_target=264,
            qr_minimum_module=3,
            gap=18,
            rule_thickness=2,
            bottom_margin=16,
        )


def render_ticket(
    content: TicketContent, paper: PaperWidth, style: TicketStyle | None = None
) -> Image.Image:
    """Draw ``content`` on ``paper``; return a mode "1" image ``paper.dots`` wide.

    Characters the bundled font cannot draw are logged as a warning (the ticket still prints).

    Raises:
        TicketContentError: the status URL is too long for a scannable QR on this paper.
    """
    chosen = style or TicketStyle.for_paper(paper)
    text = ticket_text(content)
    _warn_missing_glyphs(text)
    width = paper.dots
    content_width = width - 2 * chosen.margin
    blocks: list[Image.Image] = []

    def gap(height: int) -> None:
        blocks.append(_blank(width, height))

    gap(chosen.gap // 2)
    blocks.extend(_paragraph(text.centre_name, FontWeight.BOLD, chosen.centre_size, chosen, width))
    gap(chosen.gap // 2)
    blocks.append(_rule(width, chosen))
    gap(chosen.gap // 2)
    blocks.extend(
        _paragraph(text.service_name, FontWeight.BOLD, chosen.service_size, chosen, width)
    )
    if text.priority_label is not None:
        gap(chosen.gap // 2)
        blocks.append(_priority_band(text.priority_label, chosen, width))
    gap(chosen.gap)
    blocks.extend(
        _paragraph(text.number_label, FontWeight.REGULAR, chosen.label_size, chosen, width)
    )
    gap(chosen.gap // 2)
    blocks.append(_number_block(text.number, chosen, width, content_width))
    gap(chosen.gap)
    blocks.append(_rule(width, chosen))
    gap(chosen.gap // 2)
    for detail in text.details:
        blocks.extend(_paragraph(detail, FontWeight.REGULAR, chosen.detail_size, chosen, width))
    gap(chosen.gap // 2)
    blocks.append(_qr_block(text.status_url, chosen, width))
    blocks.extend(_paragraph(text.scan_hint, FontWeight.REGULAR, chosen.detail_size, chosen, width))
    if text.footer:
        gap(chosen.gap)
        for paragraph in text.footer.split("\n"):
            blocks.extend(
                _paragraph(paragraph, FontWeight.REGULAR, chosen.footer_size, chosen, width)
            )
    gap(chosen.bottom_margin)
    return _stack(blocks, width)


@functools.lru_cache(maxsize=16384)
def text_box(text: str, font: ImageFont.FreeTypeFont) -> tuple[int, int, int, int]:
    """Ink box ``(left, top, right, bottom)`` of ``text`` relative to its baseline origin.

    Cached (fonts compare by identity; :func:`load_font` hands out the same object for the
    same size): wrapping measures the same words and prefixes for every ticket."""
    left, top, right, bottom = font.getbbox(text, mode="1", anchor="ls")
    return int(left), int(top), int(right), int(bottom)


def text_width(text: str, font: ImageFont.FreeTypeFont) -> int:
    """Dots needed to draw ``text`` starting at x = 0 without clipping either side."""
    if not text:
        return 0
    left, _top, right, _bottom = text_box(text, font)
    return right - min(left, 0)


@functools.lru_cache(maxsize=256)
def line_metrics(font: ImageFont.FreeTypeFont) -> tuple[int, int]:
    """``(above, below)``: dots above and below the baseline that any Vietnamese line needs.

    Taller than the font's own ascent when stacked marks (e.g. "Ấ", "Ễ") reach higher, so
    lines never clip diacritics and all lines of one size share one height.
    """
    ascent, descent = font.getmetrics()
    _left, top, _right, bottom = text_box(_TALL_SAMPLE + _DEEP_SAMPLE, font)
    # One spare dot on each side keeps marks of adjacent lines from touching.
    return max(ascent, -top) + 1, max(descent, bottom) + 1


def wrap_text(text: str, font: ImageFont.FreeTypeFont, max_width: int) -> tuple[str, ...]:
    """Greedy word wrap of ``text`` so no line is wider than ``max_width`` dots.

    Words are kept whole when they fit on a line of their own; a longer word is split
    between letters (never inside a letter with its combining marks). Whitespace runs
    collapse to single spaces. Returns at least one line (empty string for empty text).

    Raises:
        ValueError: ``max_width`` is smaller than one letter.
    """
    words = unicodedata.normalize("NFC", text).split()
    if not words:
        return ("",)
    lines: list[str] = []
    current = ""
    for word in words:
        candidate = f"{current} {word}" if current else word
        if text_width(candidate, font) <= max_width:
            current = candidate
            continue
        if current:
            lines.append(current)
            current = ""
        if text_width(word, font) <= max_width:
            current = word
            continue
        pieces = _split_word(word, font, max_width)
        lines.extend(pieces[:-1])
        current = pieces[-1]
    lines.append(current)
    return tuple(lines)


@functools.lru_cache(maxsize=1024)
def fit_paragraph(
    text: str,
    weight: FontWeight,
    size: int,
    minimum_size: int,
    max_width: int,
) -> tuple[ImageFont.FreeTypeFont, tuple[str, ...]]:
    """Choose a font size and wrap ``text`` to ``max_width`` dots.

    Starts at ``size`` and shrinks (never below ``minimum_size``) until every word fits on a
    line. Then, to avoid a short last line such as a lone "phút", it shrinks up to
    :data:`SHRINK_TO_SAVE_A_LINE` further when that saves a line, and evens out the line
    lengths. Falls back to ``minimum_size`` with over-long words split between letters.
    Cached: the same paragraph always gets the same answer.
    """
    words = text.split()
    for candidate_size in range(size, minimum_size - 1, -1):
        font = load_font(candidate_size, weight)
        if all(text_width(word, font) <= max_width for word in words):
            break
    else:
        font = load_font(minimum_size, weight)
        return font, wrap_text(text, font, max_width)
    best_font, best_lines = font, wrap_text(text, font, max_width)
    floor = max(minimum_size, int(candidate_size * (1 - SHRINK_TO_SAVE_A_LINE)))
    for smaller_size in range(candidate_size - 1, floor - 1, -1):
        if len(best_lines) == 1:
            break
        smaller_font = load_font(smaller_size, weight)
        lines = wrap_text(text, smaller_font, max_width)
        if len(lines) < len(best_lines):
            best_font, best_lines = smaller_font, lines
    return best_font, _balanced(text, best_font, max_width, best_lines)


def _balanced(
    text: str, font: ImageFont.FreeTypeFont, max_width: int, lines: tuple[str, ...]
) -> tuple[str, ...]:
    """Rewrap to the narrowest width that keeps the same number of lines, so a paragraph
    reads as even lines rather than a full line and a stub ("... loa" / "gọi số.")."""
    if len(lines) < 2:
        return lines
    narrowest, widest = max(text_width(word, font) for word in text.split()), max_width
    while narrowest < widest:
        middle = (narrowest + widest) // 2
        if len(wrap_text(text, font, middle)) == len(lines):
            widest = middle
        else:
            narrowest = middle + 1
    return wrap_text(text, font, widest)


def render_text_line(
    text: str,
    font: ImageFont.FreeTypeFont,
    width: int | None = None,
    alignment: Alignment = Alignment.CENTRE,
    inverted: bool = False,
) -> Image.Image:
    """Draw one line of text into a mode "1" block of the font's Vietnamese line height.

    ``width`` None gives a block just wide enough for the text. The ticket draws every text
    line with this function, so a test can render a line alone and find it in a ticket.

    Raises:
        ValueError: the text does not fit in ``width``.
    """
    needed = text_width(text, font)
    block_width = needed if width is None else width
    if needed > block_width:
        raise ValueError(f"text needs {needed} dots but the block is {block_width}: {text!r}")
    above, below = line_metrics(font)
    background, ink = (BLACK, WHITE) if inverted else (WHITE, BLACK)
    block = Image.new("1", (max(block_width, 1), above + below), background)
    if text:
        left, _top, _right, _bottom = text_box(text, font)
        offset = 0 if alignment is Alignment.LEFT else (block_width - needed) // 2
        x = offset - min(left, 0)
        ImageDraw.Draw(block).text((x, above), text, font=font, fill=ink, anchor="ls")
    return block


@functools.lru_cache(maxsize=512)
def _paragraph(
    text: str, weight: FontWeight, size: int, style: TicketStyle, width: int
) -> tuple[Image.Image, ...]:
    """The paragraph's lines, each a paper-wide block; cached, so read-only."""
    content_width = width - 2 * style.margin
    font, lines = fit_paragraph(text, weight, size, style.minimum_size, content_width)
    return tuple(
        _padded(render_text_line(line, font, content_width), style, width) for line in lines
    )


@functools.lru_cache(maxsize=64)
def _priority_band(label: str, style: TicketStyle, width: int) -> Image.Image:
    content_width = width - 2 * style.margin
    padding = max(4, style.gap // 2)
    inner_width = content_width - 2 * padding
    font, lines = fit_paragraph(
        label, FontWeight.BOLD, style.service_size, style.minimum_size, inner_width
    )
    rendered = [render_text_line(line, font, inner_width, inverted=True) for line in lines]
    band_height = sum(line.height for line in rendered) + 2 * padding
    band = Image.new("1", (content_width, band_height), BLACK)
    y = padding
    for line in rendered:
        band.paste(line, (padding, y))
        y += line.height
    return _padded(band, style, width)


def number_font(number: str, style: TicketStyle, content_width: int) -> ImageFont.FreeTypeFont:
    """The bold font the ticket draws ``number`` with: the largest size whose ink fits
    ``style.number_width_share`` of ``content_width`` and ``style.number_max_height``."""
    allowed_width = int(content_width * style.number_width_share)
    low, high = 8, 1000
    while low < high:
        middle = (low + high + 1) // 2
        font = load_font(middle, FontWeight.BOLD)
        left, top, right, bottom = text_box(number, font)
        if right - min(left, 0) <= allowed_width and bottom - top <= style.number_max_height:
            low = middle
        else:
            high = middle - 1
    return load_font(low, FontWeight.BOLD)


@functools.lru_cache(maxsize=256)
def _number_block(number: str, style: TicketStyle, width: int, content_width: int) -> Image.Image:
    font = number_font(number, style, content_width)
    left, top, right, bottom = text_box(number, font)
    block = Image.new("1", (width, bottom - top), WHITE)
    ink_width = right - left
    x = (width - ink_width) // 2 - left
    ImageDraw.Draw(block).text((x, -top), number, font=font, fill=BLACK, anchor="ls")
    return block


def _qr_block(url: str, style: TicketStyle, width: int) -> Image.Image:
    matrix = qr_modules(url, qrcode.constants.ERROR_CORRECT_M, border=4)
    modules = len(matrix)
    module = max(style.qr_minimum_module, style.qr_target // modules)
    while module > style.qr_minimum_module and modules * module > width:
        module -= 1
    if modules * module > width:
        raise TicketContentError(
            f"status_url is too long for a scannable QR code on {width}-dot paper "
            f"({modules} modules of at least {style.qr_minimum_module} dots); shorten it"
        )
    small = Image.new("1", (modules, modules), WHITE)
    small.putdata([BLACK if dark else WHITE for row in matrix for dark in row])
    side = modules * module
    big = small.resize((side, side), Image.Resampling.NEAREST)
    block = Image.new("1", (width, side), WHITE)
    block.paste(big, ((width - side) // 2, 0))
    return block


@functools.lru_cache(maxsize=16)
def _rule(width: int, style: TicketStyle) -> Image.Image:
    block = Image.new("1", (width, style.rule_thickness), WHITE)
    ImageDraw.Draw(block).rectangle(
        (style.margin, 0, width - style.margin - 1, style.rule_thickness - 1), fill=BLACK
    )
    return block


@functools.lru_cache(maxsize=64)
def _blank(width: int, height: int) -> Image.Image:
    return Image.new("1", (width, height), WHITE)


def _padded(inner: Image.Image, style: TicketStyle, width: int) -> Image.Image:
    block = Image.new("1", (width, inner.height), WHITE)
    block.paste(inner, (style.margin, 0))
    return block


def _stack(blocks: Iterable[Image.Image], width: int) -> Image.Image:
    materialised = list(blocks)
    image = Image.new("1", (width, sum(block.height for block in materialised)), WHITE)
    y = 0
    for block in materialised:
        image.paste(block, (0, y))
        y += block.height
    return image


def _split_word(word: str, font: ImageFont.FreeTypeFont, max_width: int) -> list[str]:
    clusters = _letter_clusters(word)
    pieces: list[str] = []
    current = ""
    for cluster in clusters:
        if text_width(current + cluster, font) <= max_width:
            current += cluster
            continue
        if not current:
            raise ValueError(f"{max_width} dots cannot hold the letter {cluster!r}")
        pieces.append(current)
        current = cluster
    pieces.append(current)
    return pieces


def _letter_clusters(word: str) -> list[str]:
    clusters: list[str] = []
    for character in word:
        if clusters and unicodedata.combining(character):
            clusters[-1] += character
        else:
            clusters.append(character)
    return clusters


def _warn_missing_glyphs(text: TicketText) -> None:
    strings = [
        text.centre_name,
        text.service_name,
        text.priority_label or "",
        text.number_label,
        text.number,
        *text.details,
        text.scan_hint,
        text.footer,
    ]
    missing = missing_characters("".join(strings), FontWeight.REGULAR) | missing_characters(
        "".join(strings), FontWeight.BOLD
    )
    if missing:
        logger.warning(
            "ticket text has characters the bundled font cannot draw: %s",
            " ".join(sorted(missing)),
        )
