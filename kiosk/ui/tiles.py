"""Menu tiles, and a grid that fits every tile on the screen without scrolling.

A :class:`Tile` is a big touch button that paints its own wrapped text (an optional badge
line, the title, the queue line), so measuring and drawing use the same font metrics and
the same flags: text that was measured to fit is drawn whole.

:class:`TileGrid` tries every column count and picks the largest common title size (between
the theme's minimum and maximum) at which the tiles' text fits their cells: at least
:data:`COMMON_SHARE` of the tiles get that size, and an unusually long name may be drawn
smaller, down to :data:`SHRINK_LIMIT` of it. Only when nothing fits even at the minimum does
it split the choices into pages with big "Trang sau" buttons; it never uses scroll bars.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass

from PySide6.QtCore import QRect, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFontMetrics, QPainter, QPaintEvent
from PySide6.QtWidgets import QAbstractButton, QHBoxLayout, QLabel, QPushButton, QWidget

from kiosk.models.screens import Choice
from kiosk.ui import theme

_WRAP = int(Qt.TextFlag.TextWordWrap)
DETAIL_SHARE = 0.55
"""Queue line size relative to the title size."""
BADGE_SHARE = 0.5
"""Badge size relative to the title size."""
LINE_GAP_SHARE = 0.1
"""Space between the badge, the title and the queue line, relative to the title size."""


@functools.lru_cache(maxsize=4096)
def text_size(text: str, pixel_size: int, bold: bool, width: int) -> tuple[int, int]:
    """(width, height) of ``text`` word-wrapped to ``width`` pixels: the size
    :meth:`QPainter.drawText` with ``TextWordWrap`` uses. A word wider than ``width`` makes
    the returned width exceed it."""
    metrics = QFontMetrics(theme.font(pixel_size, bold))
    rect = metrics.boundingRect(QRect(0, 0, width, 1_000_000), _WRAP, text)
    return rect.width(), rect.height()


@dataclass(frozen=True)
class TileText:
    """The texts of one tile; ``detail`` and ``badge`` may be empty."""

    title: str
    detail: str = ""
    badge: str = ""


def padding_for(title_px: int) -> int:
    """Inner padding of a tile whose title is ``title_px`` pixels."""
    return max(8, round(title_px * 0.22))


DETAIL_SEPARATOR = " · "


def detail_lines(detail: str, pixel_size: int, width: int) -> tuple[str, ...] | None:
    """The queue line as drawn: one line when it fits, else split at its " · " into two
    (count, then wait); None when even that does not fit ``width``."""
    if not detail:
        return ()
    if text_size(detail, pixel_size, False, 100_000)[0] <= width:
        return (detail,)
    parts = tuple(detail.split(DETAIL_SEPARATOR))
    if len(parts) > 1 and all(text_size(part, pixel_size, False, 100_000)[0] <= width
                              for part in parts):
        return parts
    return None


def tile_height_needed(text: TileText, title_px: int, width: int) -> int | None:
    """Height a tile ``width`` wide needs for ``text`` at ``title_px``; None when it cannot
    fit at any height: a word of the title is wider than the tile, the badge does not fit on
    one line, or the queue line does not fit on one line or two (see :func:`detail_lines`)."""
    padding = padding_for(title_px)
    inner = width - 2 * padding
    if inner <= 0:
        return None
    parts = [(text.title, title_px, True, False)]
    if text.badge:
        parts.insert(0, (text.badge, round(title_px * BADGE_SHARE), True, True))
    total = 2 * padding + (len(parts) - 1) * round(title_px * LINE_GAP_SHARE)
    for content, pixel_size, bold, single_line in parts:
        used_width, used_height = text_size(content, pixel_size, bold,
                                            100_000 if single_line else inner)
        if used_width > inner:
            return None
        total += used_height
    if text.detail:
        detail_px = round(title_px * DETAIL_SHARE)
        lines = detail_lines(text.detail, detail_px, inner)
        if lines is None:
            return None
        total += round(title_px * LINE_GAP_SHARE) + text_size("\n".join(lines), detail_px, False,
                                                    100_000)[1]
    return total


class Tile(QAbstractButton):
    """A big touch button with wrapped text; see the module docstring.

    ``secondary`` tiles (the "Ưu tiên" beside a service) use the priority colour, ``accent``
    ones (HOME's "Tôi đã đặt lịch") the check-in colour.
    """

    def __init__(self, parent: QWidget | None = None, secondary: bool = False) -> None:
        super().__init__(parent)
        self.secondary = secondary
        self.accent = False
        self.text_parts = TileText("")
        self.title_px = 40
        self.code = ""
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.setAttribute(Qt.WidgetAttribute.WA_AcceptTouchEvents)

    def set_text_parts(self, parts: TileText) -> None:
        """Set the texts (redraws)."""
        self.text_parts = parts
        self.setText(parts.title)
        self.update()

    def set_title_px(self, pixel_size: int) -> None:
        """Set the title size; the badge and queue line follow it."""
        self.title_px = pixel_size
        self.update()

    def height_needed(self) -> int | None:
        """The height this tile's text needs at its width (None: a word does not fit)."""
        return tile_height_needed(self.text_parts, self.title_px, self.width())

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        return QSize(200, 120)

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt's name
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        if not self.isEnabled():
            fill, ink, detail_ink, badge_ink = (theme.TILE_DISABLED, theme.TILE_DISABLED_TEXT,
                                                theme.TILE_DISABLED_TEXT,
                                                theme.TILE_DISABLED_TEXT)
        elif self.secondary:
            fill = theme.PRIORITY_PRESSED if self.isDown() else theme.PRIORITY
            ink, detail_ink, badge_ink = theme.TILE_TEXT, theme.TILE_DETAIL, theme.TILE_BADGE
        elif self.accent:
            fill = theme.CHECK_IN_PRESSED if self.isDown() else theme.CHECK_IN
            ink, detail_ink, badge_ink = theme.TILE_TEXT, theme.TILE_DETAIL, theme.TILE_BADGE
        else:
            fill = theme.TILE_PRESSED if self.isDown() else theme.TILE
            ink, detail_ink, badge_ink = theme.TILE_TEXT, theme.TILE_DETAIL, theme.TILE_BADGE
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(fill)
        radius = max(6, self.title_px * 0.35)
        painter.drawRoundedRect(QRectF(self.rect()), radius, radius)
        padding = padding_for(self.title_px)
        inner = self.width() - 2 * padding
        gap = round(self.title_px * LINE_GAP_SHARE)
        parts: list[tuple[str, int, bool, QColor]] = []
        if self.text_parts.badge:
            parts.append((self.text_parts.badge, round(self.title_px * BADGE_SHARE), True,
                          badge_ink))
        parts.append((self.text_parts.title, self.title_px, True, ink))
        if self.text_parts.detail:
            detail_px = round(self.title_px * DETAIL_SHARE)
            lines = detail_lines(self.text_parts.detail, detail_px, inner)
            parts.append(("\n".join(lines or (self.text_parts.detail,)), detail_px, False,
                          detail_ink))
        heights = [text_size(text, size, bold, inner)[1] for text, size, bold, _ in parts]
        total = sum(heights) + gap * (len(parts) - 1)
        y = max(padding, (self.height() - total) // 2)
        alignment = int(Qt.AlignmentFlag.AlignHCenter) if self.secondary \
            else int(Qt.AlignmentFlag.AlignLeft)
        for (text, size, bold, colour), height in zip(parts, heights, strict=True):
            painter.setFont(theme.font(size, bold))
            painter.setPen(colour)
            painter.drawText(QRect(padding, y, inner, height), alignment | _WRAP, text)
            y += height + gap
        painter.end()


@dataclass(frozen=True)
class GridFit:
    """A layout the grid found.

    Attributes:
        columns / rows: of one page.
        title_px: the common title size.
        sizes: each choice's own title size (the common one, or up to
            :data:`SHRINK_LIMIT` smaller for an unusually long name).
        pages: how many pages the choices need (1 almost always).
    """

    columns: int
    rows: int
    title_px: int
    sizes: tuple[int, ...]
    pages: int

    @property
    def smallest_px(self) -> int:
        """The smallest title size of any choice."""
        return min(self.sizes, default=self.title_px)


SHRINK_LIMIT = 0.8
"""A name too long for the common size may be drawn down to this share of it, so one long
name does not make every other tile small."""
COMMON_SHARE = 0.85
"""At least this share of the tiles is drawn at the common title size."""
SECONDARY_SHARE = 0.24
"""Share of a cell's width given to the "Ưu tiên" button beside a service."""


class TileGrid(QWidget):
    """Menu choices as tiles fitted to the widget; see the module docstring.

    Signals:
        chosen(str): a tile's code, when pressed.
        secondary_chosen(str): the code of the tile whose secondary button was pressed.
    """

    chosen = Signal(str)
    secondary_chosen = Signal(str)

    def __init__(self, *, max_columns: int = 4, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.max_columns = max_columns
        self.metrics = theme.metrics_for(1080, 1080)
        self.choices: tuple[Choice, ...] = ()
        self.secondary_label = ""
        self.page = 0
        self.fit = GridFit(1, 1, 40, (), 1)
        self.tiles: list[Tile] = []
        self.secondary_tiles: list[Tile] = []
        self._navigation = QWidget(self)
        bar = QHBoxLayout(self._navigation)
        bar.setContentsMargins(0, 0, 0, 0)
        self.previous_button = QPushButton(self._navigation)
        self.previous_button.setObjectName("navigationButton")
        self.next_button = QPushButton(self._navigation)
        self.next_button.setObjectName("navigationButton")
        self.page_label = QLabel(self._navigation)
        self.page_label.setObjectName("pageLabel")
        self.page_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        bar.addWidget(self.previous_button)
        bar.addWidget(self.page_label, 1)
        bar.addWidget(self.next_button)
        self.previous_button.clicked.connect(lambda: self._turn(-1))
        self.next_button.clicked.connect(lambda: self._turn(1))
        self._page_text = "{page}/{pages}"
        self._navigation.hide()

    def set_choices(self, choices: Sequence[Choice], *, secondary_label: str = "",
                    previous_text: str = "‹", next_text: str = "›",
                    page_text: str = "{page}/{pages}") -> None:
        """Show ``choices``; a choice with ``offers_priority`` gets a ``secondary_label``
        button beside it. Keeps the page when the codes are unchanged."""
        codes = tuple(choice.code for choice in choices)
        if codes != tuple(choice.code for choice in self.choices):
            self.page = 0
        self.choices = tuple(choices)
        self.secondary_label = secondary_label
        self.previous_button.setText(previous_text)
        self.next_button.setText(next_text)
        self._page_text = page_text
        self._relayout()

    def set_metrics(self, metrics: theme.Metrics) -> None:
        """Use the text size range of ``metrics``."""
        self.metrics = metrics
        self._relayout()

    def resizeEvent(self, event: object) -> None:  # noqa: N802 - Qt's name
        self._relayout()

    # --- fitting -----------------------------------------------------------------------------

    @property
    def max_cell_height(self) -> int:
        """Tiles never get taller than this, so a short menu keeps button-sized tiles."""
        return round(self.metrics.tile_max_px * 5.5)

    def _has_secondary(self, choices: Sequence[Choice]) -> bool:
        return bool(self.secondary_label) and any(choice.offers_priority for choice in choices)

    def _main_width(self, cell_width: int, choices: Sequence[Choice]) -> int:
        if not self._has_secondary(choices):
            return cell_width
        return cell_width - round(cell_width * SECONDARY_SHARE) - self.metrics.spacing

    def secondary_px(self, title_px: int, cell_width: int, cell_height: int) -> int:
        """The "Ưu tiên" label's size: the title size, or smaller to fit its button."""
        width = round(cell_width * SECONDARY_SHARE)
        size = title_px
        while size > 8:
            padding = padding_for(size)
            text_width, text_height = text_size(self.secondary_label, size, True, 100_000)
            if text_width + 2 * padding <= width and text_height + 2 * padding <= cell_height:
                break
            size -= 1
        return size

    def _largest_fitting(self, text: TileText, width: int, height: int) -> int | None:
        """The largest title size in the theme's range at which ``text`` fits, or None."""
        low, high = self.metrics.tile_min_px, self.metrics.tile_max_px

        def fits(size: int) -> bool:
            needed = tile_height_needed(text, size, width)
            return needed is not None and needed <= height

        if not fits(low):
            return None
        while low < high:
            middle = (low + high + 1) // 2
            if fits(middle):
                low = middle
            else:
                high = middle - 1
        return low

    def _best_for(self, choices: Sequence[Choice], width: int, height: int) -> GridFit | None:
        """The best layout of one page of ``choices`` over every column count: the largest
        common title size, then the most button-like cell shape."""
        spacing = self.metrics.spacing
        count = max(1, len(choices))
        best: GridFit | None = None
        best_key: tuple[int, int, float] | None = None
        for columns in range(1, min(self.max_columns, count) + 1):
            rows = math.ceil(count / columns)
            cell_width = (width - (columns - 1) * spacing) // columns
            cell_height = min((height - (rows - 1) * spacing) // rows, self.max_cell_height)
            main_width = self._main_width(cell_width, choices)
            if cell_height <= 0 or main_width <= 0:
                continue
            largest = [self._largest_fitting(TileText(c.title, c.detail, c.badge or ""),
                                             main_width, cell_height) for c in choices]
            if any(size is None for size in largest):
                continue
            fitted = [size for size in largest if size is not None]
            # Most tiles (COMMON_SHARE) get the common size; the few longest names may be
            # smaller, but never below SHRINK_LIMIT of it.
            ranked = sorted(fitted, reverse=True) or [self.metrics.tile_max_px]
            common = min(ranked[math.ceil(COMMON_SHARE * len(ranked)) - 1],
                         self.metrics.tile_max_px, math.floor(ranked[-1] / SHRINK_LIMIT))
            sizes = tuple(min(size, common) for size in fitted)
            shape = -abs(math.log(cell_width / cell_height / 3.2))
            key = (common, min(sizes, default=common), shape)
            if best_key is None or key > best_key:
                best = GridFit(columns, rows, common, sizes, 1)
                best_key = key
        return best

    def _compute_fit(self, width: int, height: int) -> GridFit:
        whole = self._best_for(self.choices, width, height)
        if whole is not None:
            return whole
        usable = height - self._navigation_height() - self.metrics.spacing
        for pages in range(2, len(self.choices) + 1):
            per_page = math.ceil(len(self.choices) / pages)
            fits = [self._best_for(self.choices[start:start + per_page], width, usable)
                    for start in range(0, len(self.choices), per_page)]
            found = [fit for fit in fits if fit is not None]
            if len(found) == len(fits):
                columns = max(fit.columns for fit in found)
                return GridFit(columns, math.ceil(per_page / columns),
                               min(fit.title_px for fit in found),
                               tuple(size for fit in found for size in fit.sizes), pages)
        minimum = self.metrics.tile_min_px
        return GridFit(1, max(1, len(self.choices)), minimum,
                       tuple(minimum for _ in self.choices), 1)

    def _navigation_height(self) -> int:
        return self.metrics.px(36) * 2 + self.metrics.px(20) * 2

    # --- placing -----------------------------------------------------------------------------

    def _relayout(self) -> None:
        width, height = self.width(), self.height()
        if width <= 0 or height <= 0:
            return
        self.fit = self._compute_fit(width, height)
        pages = self.fit.pages
        self.page = min(self.page, pages - 1)
        per_page = math.ceil(len(self.choices) / pages) if self.choices else 0
        first = self.page * per_page
        shown = self.choices[first:first + per_page]
        self._ensure_tiles(len(shown))
        spacing = self.metrics.spacing
        grid_height = height
        if pages > 1:
            grid_height = height - self._navigation_height() - spacing
            self._navigation.setGeometry(0, height - self._navigation_height(), width,
                                         self._navigation_height())
            self.page_label.setText(self._page_text.format(page=self.page + 1, pages=pages))
            self.previous_button.setEnabled(self.page > 0)
            self.next_button.setEnabled(self.page < pages - 1)
            self._navigation.show()
        else:
            self._navigation.hide()
        columns = self.fit.columns
        rows = max(1, math.ceil(len(shown) / columns))
        cell_width = (width - (columns - 1) * spacing) // columns
        cell_height = min((grid_height - (rows - 1) * spacing) // rows, self.max_cell_height)
        main_width = self._main_width(cell_width, shown)
        secondary_px = self.secondary_px(self.fit.title_px, cell_width, cell_height)
        for index, (tile, choice) in enumerate(zip(self.tiles, shown, strict=False)):
            row, column = divmod(index, columns)
            x = column * (cell_width + spacing)
            y = row * (cell_height + spacing)
            secondary = self.secondary_tiles[index]
            if choice.offers_priority and self.secondary_label:
                secondary.setGeometry(x + main_width + spacing, y,
                                      cell_width - main_width - spacing, cell_height)
                secondary.code = choice.code
                secondary.set_text_parts(TileText(self.secondary_label))
                secondary.set_title_px(secondary_px)
                secondary.setEnabled(choice.enabled)
                secondary.show()
                tile.setGeometry(x, y, main_width, cell_height)
            else:
                secondary.hide()
                tile.setGeometry(x, y, cell_width, cell_height)
            tile.code = choice.code
            tile.accent = choice.accent
            tile.set_text_parts(TileText(choice.title, choice.detail, choice.badge or ""))
            tile.set_title_px(self.fit.sizes[first + index])
            tile.setEnabled(choice.enabled)
            tile.show()
        for extra in range(len(shown), len(self.tiles)):
            self.tiles[extra].hide()
            self.secondary_tiles[extra].hide()

    def _ensure_tiles(self, count: int) -> None:
        while len(self.tiles) < count:
            tile = Tile(self)
            tile.clicked.connect(lambda _checked=False, tile=tile: self.chosen.emit(tile.code))
            secondary = Tile(self, secondary=True)
            secondary.clicked.connect(
                lambda _checked=False, tile=secondary: self.secondary_chosen.emit(tile.code))
            self.tiles.append(tile)
            self.secondary_tiles.append(secondary)

    def visible_tiles(self) -> list[Tile]:
        """The tiles on the current page (main and secondary)."""
        return [tile for tile in self.tiles + self.secondary_tiles if not tile.isHidden()]

    def tile(self, code: str) -> Tile | None:
        """The visible main tile of ``code``."""
        return next((tile for tile in self.tiles if not tile.isHidden() and tile.code == code),
                    None)

    def secondary_tile(self, code: str) -> Tile | None:
        """The visible secondary ("Ưu tiên") tile of ``code``."""
        return next((tile for tile in self.secondary_tiles
                     if not tile.isHidden() and tile.code == code), None)

    def _turn(self, step: int) -> None:
        self.page = max(0, min(self.fit.pages - 1, self.page + step))
        self._relayout()
