"""The lobby board painted on one widget, laid out for a 1920x1080 TV read from 10 m.

Everything is drawn with QPainter in 1920x1080 *design* units and scaled to the widget (kept
16:9, centred), so the picture is the same on any screen. No child widgets are created per
event: a repaint draws the current ``Board``. The widget reads the board; it never changes it.

Layout (design units)::

    +-------------------------------------------------------------------------------+
    | centre name (46 px) / English name · zone             clock 64 px, date 30 px  |  header
    +-------------------------------------------+-----------------------------------+
    | MỜI CÔNG DÂN CÓ SỐ · NOW CALLING           | SỐ VỪA GỌI · RECENT CALLS          |
    |   1005 (up to 256 px)  ➜ [QUẦY · COUNTER]  |   1005        ➜ Quầy 3             |
    |                          [      3       ]  |   ... (recent_limit rows)          |
    |   service name                             |                                    |
    +-------------------------------------------+-----------------------------------+
    | counter cards: name, number (80-150 px)    | ĐANG CHỜ · WAITING: service  count |
    +-------------------------------------------+-----------------------------------+
    | scrolling notice (40 px)                                                       |
    +-------------------------------------------------------------------------------+

While the board flashes, the now-calling panel (and the called counter's card and recent row)
alternate with a bright background. The counter of the newest call sits in its own dark box,
in cyan, after a large arrow: read from 10 m, "2002 ➜ 3" must never run together as "20023",
flash or no flash. When the board is stale the numbers turn grey and a red
"MẤT KẾT NỐI" panel covers the newest call: old numbers are never shown as live.

A part with nothing to show says so in words: "Chưa có số nào được gọi" before the first
call, "Chưa có lượt gọi" in an empty recent list, "Không có người chờ" when nobody waits,
"Chưa có thông tin" in the lists while the server has not answered (they are not known to be
empty), and "Kính chào Quý khách · Welcome" in the notice strip of a site without a notice.

Callables in ``paint_listeners`` are called after each paint that drew the now-calling panel,
with the number shown ("" when none); the tests and bench/display_bench.py time repaints with
them. ``painted_texts`` holds, per part ("header", "now", "counters", "recent", "waiting",
"notice"), the words last painted there, as painted (after any eliding).
"""

from __future__ import annotations

import contextlib
import math
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from PySide6.QtCore import QPointF, QRect, QRectF, Qt, QTimer
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetricsF,
    QPainter,
    QPaintEvent,
    QResizeEvent,
    QShowEvent,
    QTransform,
)
from PySide6.QtWidgets import QWidget

from display.board import Banner, Board, Call, CounterPanel, CounterStatus, ServiceQueue
from display.counter_names import counter_display_parts
from display.texts import (
    CONNECTING,
    CONNECTION_LOST,
    COUNTERS,
    NO_CALLS_YET,
    NO_COUNTERS,
    NO_RECENT_CALLS,
    NOBODY_WAITING,
    NOT_YET_KNOWN,
    NOW_CALLING,
    RECENT_CALLS,
    RECONNECTING,
    REFUSED,
    REFUSED_HELP,
    TAKE_A_TICKET,
    UNKNOWN_ZONE,
    WAITING,
    WELCOME,
    Label,
    counter_status_label,
    format_clock,
    format_date,
    more_services,
)
from display.ui.fonts import Fonts

__all__ = ["DESIGN_HEIGHT", "DESIGN_WIDTH", "BoardWidget", "PaintedSizes", "Region"]

DESIGN_WIDTH = 1920
DESIGN_HEIGHT = 1080

NOTICE_SPEED = 110.0  # design pixels per second
# The newest call's panel, relative to Region.NOW: number, arrow, counter box.
NOW_NUMBER_WIDTH = 660.0
NOW_ARROW = QRectF(700, 78, 112, 272)
NOW_COUNTER_BOX = QRectF(816, 84, 388, 266)
NOTICE_FRAME_MS = 40
# Waiting list rows (design px): one line of 30 px, or two lines of 25 px for a long name.
WAITING_NAME_PX = 30.0
WAITING_WRAPPED_PX = 25.0
WAITING_ROW = 46.0
WAITING_WRAPPED_ROW = 64.0
WAITING_MORE_ROW = 40.0


class Region:
    """Where each part of the board is, in design units."""

    HEADER = QRectF(0, 0, 1920, 140)
    NOW = QRectF(24, 158, 1240, 412)
    COUNTERS = QRectF(24, 588, 1240, 374)
    RECENT = QRectF(1288, 158, 608, 480)
    WAITING = QRectF(1288, 656, 608, 306)
    NOTICE = QRectF(0, 980, 1920, 100)


class Colour:
    BACKGROUND = QColor("#081a3a")
    HEADER = QColor("#0b2b5c")
    PANEL = QColor("#10336b")
    NOW = QColor("#0d3f8f")
    CARD = QColor("#153a74")
    CARD_CLOSED = QColor("#12284a")
    FLASH = QColor("#ffd600")
    ON_FLASH = QColor("#08214a")
    NUMBER = QColor("#ffe14d")
    TEXT = QColor("#ffffff")
    SOFT = QColor("#b8c9e6")
    COUNTER = QColor("#7fe3f0")
    COUNTER_BOX = QColor("#081a3a")  # the newest call's counter box: dark in both flash halves
    DIM = QColor("#7d8aa3")
    STALE = QColor("#5f6b80")
    NOTICE = QColor("#ffc400")
    ON_NOTICE = QColor("#1a1300")
    LOST = QColor("#b71c1c")
    CONNECTING = QColor("#37474f")
    WARNING = QColor("#e65100")


@dataclass(frozen=True, slots=True)
class PaintedSizes:
    """Pixel sizes (design units) of the last paint: the newest call's number, the counters'."""

    newest_number: float
    counter_number: float


# Advance of "A000" in condensed bold at 1 px: numbers are at most 4-5 characters.
_NUMBER_SAMPLE = "A000"


class BoardWidget(QWidget):
    """Paints a Board (see the module docstring). ``clock``: monotonic seconds, for the flash,
    the stale check and the notice; ``wall_clock``: an aware datetime, for the clock."""

    def __init__(
        self,
        board: Board,
        *,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.board = board
        self._clock = clock
        self._wall_clock = wall_clock
        self._fonts = Fonts()
        self._timezone_name = ""
        self._timezone: tzinfo = UTC
        self._notice_started = clock()
        self._sizes = PaintedSizes(0.0, 0.0)
        self.paint_listeners: list[Callable[[str], None]] = []
        self.painted_banner = Banner.CONNECTING  # what the now-calling panel last showed
        self.painted_flash_lit = False
        self.painted_banner_lines: list[str] = []  # the banner's text, when one was painted
        self.painted_texts: dict[str, tuple[str, ...]] = {}  # part -> words last painted there
        self._recording: list[str] | None = None
        self._notice_timer = QTimer(self)
        self._notice_timer.setInterval(NOTICE_FRAME_MS)
        self._notice_timer.timeout.connect(self._scroll_notice)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self.setMinimumSize(480, 270)
        self.setWindowTitle("QMS — Màn hình sảnh chờ / Lobby display")

    # --- for the controller, the tests and the bench ---------------------------------------

    @property
    def painted_sizes(self) -> PaintedSizes:
        return self._sizes

    def widget_rect(self, design: QRectF) -> QRect:
        """A design-unit rectangle in widget pixels."""
        return self._transform().mapRect(design).toAlignedRect()

    def refresh(self) -> None:
        """Repaint everything (after the board changed)."""
        self._update_notice_timer()
        self.update()

    def refresh_region(self, design: QRectF) -> None:
        self.update(self.widget_rect(design))

    # --- Qt ----------------------------------------------------------------------------------

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt's name
        super().showEvent(event)
        self._update_notice_timer()

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt's name
        super().resizeEvent(event)
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt's name
        painter = QPainter(self)
        try:
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            painter.setRenderHint(QPainter.RenderHint.TextAntialiasing)
            painter.fillRect(event.rect(), Qt.GlobalColor.black)
            transform = self._transform()
            painter.setTransform(transform)
            exposed = transform.inverted()[0].mapRect(QRectF(event.rect()))
            now = self._clock()
            banner = self.board.banner(now)
            stale = banner in (Banner.CONNECTION_LOST, Banner.CONNECTING, Banner.REFUSED)
            painter.fillRect(exposed.intersected(QRectF(0, 0, DESIGN_WIDTH, DESIGN_HEIGHT)),
                             Colour.BACKGROUND)
            if exposed.intersects(Region.HEADER):
                with self._recorded("header"):
                    self._paint_header(painter)
            painted_now = exposed.intersects(Region.NOW)
            if painted_now:
                with self._recorded("now"):
                    self._paint_now(painter, now, banner)
                self.painted_banner = banner
                self.painted_flash_lit = banner is Banner.NONE and self.board.flash_lit(now)
            if exposed.intersects(Region.COUNTERS):
                with self._recorded("counters"):
                    self._paint_counters(painter, now, stale)
            if exposed.intersects(Region.RECENT):
                with self._recorded("recent"):
                    self._paint_recent(painter, now, stale)
            if exposed.intersects(Region.WAITING):
                with self._recorded("waiting"):
                    self._paint_waiting(painter, stale)
            if exposed.intersects(Region.NOTICE):
                with self._recorded("notice"):
                    self._paint_notice(painter, now)
        finally:
            painter.end()
        if painted_now and self.paint_listeners:
            call = self.board.newest_call
            number = "" if call is None else call.number
            for listener in self.paint_listeners:
                listener(number)

    # --- regions -----------------------------------------------------------------------------

    def _paint_header(self, painter: QPainter) -> None:
        area = Region.HEADER
        painter.fillRect(area, Colour.HEADER)
        site = self.board.site
        name = site.name or "Hệ thống xếp hàng tự động"
        self._text(painter, QRectF(32, 16, 1380, 62), name,
                   self._fit(name, 48, 30, 1380, bold=True), Colour.TEXT, elide=True)
        second = site.name_en
        if self.board.zone_name or self.board.settings.zone:
            zone = self.board.zone_name or self.board.settings.zone or ""
            if self.board.zone_name_en:
                zone = f"{zone} · {self.board.zone_name_en}"
            second = f"{second}   ·   {zone}" if second else zone
        self._text(painter, QRectF(32, 82, 1380, 42), second, self._fonts.get(28), Colour.SOFT,
                   elide=True)
        moment = self._wall_clock().astimezone(self._site_timezone())
        self._text(painter, QRectF(1440, 10, 456, 80), format_clock(moment),
                   self._fonts.get(66, bold=True), Colour.TEXT, Qt.AlignmentFlag.AlignRight)
        self._text(painter, QRectF(1300, 88, 596, 42), format_date(moment.date()),
                   self._fonts.get(30), Colour.SOFT, Qt.AlignmentFlag.AlignRight)

    def _paint_now(self, painter: QPainter, now: float, banner: Banner) -> None:
        area = Region.NOW
        lit = banner is Banner.NONE and self.board.flash_lit(now)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(Colour.FLASH if lit else Colour.NOW)
        painter.drawRoundedRect(area, 22, 22)
        ink = Colour.ON_FLASH if lit else Colour.TEXT
        self._bilingual(painter, QRectF(area.x() + 36, area.y() + 22, area.width() - 72, 52),
                        NOW_CALLING, 40, 30, ink, Colour.ON_FLASH if lit else Colour.SOFT)
        call = self.board.newest_call
        number_area = QRectF(area.x() + 36, area.y() + 78, NOW_NUMBER_WIDTH, 272)
        if banner is not Banner.NONE:
            self._sizes = PaintedSizes(0.0, self._sizes.counter_number)
            self._paint_banner(painter, banner)
            return
        if call is None:
            self._paint_no_calls(painter, area)
            self._sizes = PaintedSizes(0.0, self._sizes.counter_number)
            return
        number_font = self._fit(call.number, 290, 140, number_area.width(), condensed=True)
        self._text(painter, number_area, call.number, number_font,
                   Colour.ON_FLASH if lit else Colour.NUMBER)
        self._sizes = PaintedSizes(float(number_font.pixelSize()), self._sizes.counter_number)
        self._text(painter, NOW_ARROW.translated(area.x(), area.y()), "➜",
                   self._fonts.get(120, bold=True), ink, Qt.AlignmentFlag.AlignHCenter)
        self._paint_now_counter(painter, NOW_COUNTER_BOX.translated(area.x(), area.y()), call)
        service = call.service_name
        if call.service_name_en:
            service = f"{service} · {call.service_name_en}"
        self._text(painter, QRectF(area.x() + 36, area.bottom() - 62, area.width() - 72, 46),
                   service, self._fonts.get(34), ink, elide=True)

    def _paint_no_calls(self, painter: QPainter, area: QRectF) -> None:
        """Before the first call (of the day): say so, and what to do, in both languages."""
        inner = QRectF(area.x() + 36, area.y(), area.width() - 72, area.height())
        centre = Qt.AlignmentFlag.AlignHCenter
        lines = ((NO_CALLS_YET.vietnamese, 100, 96, 72, True, Colour.TEXT),
                 (NO_CALLS_YET.english, 196, 56, 40, False, Colour.SOFT),
                 (TAKE_A_TICKET.vietnamese, 290, 46, 34, True, Colour.SOFT),
                 (TAKE_A_TICKET.english, 336, 40, 28, False, Colour.SOFT))
        for text, top, height, size, bold, colour in lines:
            self._text(painter, QRectF(inner.x(), area.y() + top, inner.width(), height), text,
                       self._fit(text, size, size * 0.6, inner.width(), bold=bold), colour,
                       centre, elide=True)

    def _paint_now_counter(self, painter: QPainter, box: QRectF, call: Call) -> None:
        """The counter in its own dark box: label, large cyan number, the rest of its name."""
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(Colour.COUNTER_BOX)
        painter.drawRoundedRect(box, 18, 18)
        large, small = counter_display_parts(call.counter, call.counter_name)
        label = Label("QUẦY", "COUNTER") if large != call.counter_name else Label("ĐẾN", "TO")
        inner = box.adjusted(20, 0, -20, 0)
        self._bilingual(painter, QRectF(inner.x(), box.y() + 8, inner.width(), 44), label, 32, 24,
                        Colour.SOFT, Colour.SOFT)
        lines = self._wrap(small, self._fonts.get(28, bold=True), inner.width(), 2)
        big_area = QRectF(inner.x(), box.y() + 52, inner.width(),
                          box.height() - 60 - 34 * len(lines))
        self._text(painter, big_area, large,
                   self._fit(large, 220, 40, big_area.width(), condensed=True), Colour.COUNTER,
                   Qt.AlignmentFlag.AlignHCenter)
        for index, line in enumerate(lines):
            self._text(painter, QRectF(inner.x(), big_area.bottom() + 34 * index, inner.width(),
                                       34), line, self._fonts.get(28, bold=True), Colour.TEXT,
                       Qt.AlignmentFlag.AlignHCenter)

    def _paint_banner(self, painter: QPainter, banner: Banner) -> None:
        area = Region.NOW.adjusted(0, 84, 0, 0)
        colour = {Banner.CONNECTION_LOST: Colour.LOST, Banner.CONNECTING: Colour.CONNECTING,
                  Banner.UNKNOWN_ZONE: Colour.WARNING, Banner.REFUSED: Colour.LOST}[banner]
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(colour)
        painter.drawRoundedRect(area.adjusted(24, 0, -24, -24), 18, 18)
        zone = self.board.settings.zone or ""
        if banner is Banner.CONNECTION_LOST:
            big = CONNECTION_LOST.vietnamese
            lines = [CONNECTION_LOST.english, f"{RECONNECTING.vietnamese} · {RECONNECTING.english}"]
        elif banner is Banner.CONNECTING:
            big, lines = CONNECTING.vietnamese, [CONNECTING.english]
        elif banner is Banner.REFUSED:
            big = REFUSED.vietnamese
            lines = [REFUSED_HELP.vietnamese, f"{REFUSED.english} · {REFUSED_HELP.english}"]
        else:
            big, lines = f"{UNKNOWN_ZONE.vietnamese} {zone}", [f"{UNKNOWN_ZONE.english} {zone}"]
        self.painted_banner_lines = [big, *lines]
        self._text(painter, QRectF(area.x() + 40, area.y() + 30, area.width() - 80, 130), big,
                   self._fit(big, 120, 60, area.width() - 80, bold=True), Colour.TEXT,
                   Qt.AlignmentFlag.AlignHCenter)
        y = area.y() + 176
        for index, text in enumerate(lines):
            font = self._fit(text, 44 if index == 0 else 36, 24, area.width() - 80,
                             bold=index == 0)  # shrink to fit before eliding anything
            self._text(painter, QRectF(area.x() + 40, y, area.width() - 80, 54), text, font,
                       Colour.TEXT, Qt.AlignmentFlag.AlignHCenter, elide=True)
            y += 62

    def _paint_counters(self, painter: QPainter, now: float, stale: bool) -> None:
        area = Region.COUNTERS
        panels = self.board.counters
        if not panels:  # not known yet, or a zone without counters: a panel that says which
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(Colour.PANEL)
            painter.drawRoundedRect(area, 18, 18)
            self._bilingual(painter, QRectF(area.x() + 28, area.y() + 16, area.width() - 56, 46),
                            COUNTERS, 34, 26, Colour.TEXT, Colour.SOFT)
            label = NO_COUNTERS if self.board.has_data else NOT_YET_KNOWN
            self._note(painter, QRectF(area.x() + 28, area.center().y() - 48, area.width() - 56,
                                       96), label, 36, 28, Qt.AlignmentFlag.AlignHCenter)
            return
        columns, rows, number_cap = _counter_grid(len(panels), area, self._sample_ratio())
        gap = 14.0
        width = (area.width() - gap * (columns - 1)) / columns
        height = (area.height() - gap * (rows - 1)) / rows
        name_height = min(46.0, height * 0.3)
        numbers = [panel.number for panel in panels if panel.number]
        number_px = number_cap
        for number in numbers:
            number_px = min(number_px, self._fit_size(number, number_cap, width - 20,
                                                      condensed=True))
        self._sizes = PaintedSizes(self._sizes.newest_number, number_px)
        number_font = self._fonts.get(number_px, condensed=True)
        name_font = self._fonts.get(min(30.0, name_height * 0.68), bold=True)
        status_font = self._fonts.get(min(34.0, height * 0.22), bold=True)
        newest = self.board.newest_call
        lit_code = (newest.counter if newest is not None and not stale
                    and self.board.flash_lit(now) else None)
        for index, panel in enumerate(panels):
            row, column = divmod(index, columns)
            card = QRectF(area.x() + column * (width + gap), area.y() + row * (height + gap),
                          width, height)
            self._paint_card(painter, card, panel, name_height, name_font, number_font,
                             status_font, lit=panel.code == lit_code, stale=stale)

    def _paint_card(self, painter: QPainter, card: QRectF, panel: CounterPanel,
                    name_height: float, name_font: QFont, number_font: QFont,
                    status_font: QFont, *, lit: bool, stale: bool) -> None:
        closed = panel.status is not CounterStatus.OPEN
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(Colour.FLASH if lit else Colour.CARD_CLOSED if closed else Colour.CARD)
        painter.drawRoundedRect(card, 14, 14)
        ink = Colour.ON_FLASH if lit else Colour.DIM if closed else Colour.TEXT
        name_area = QRectF(card.x() + 16, card.y() + 6, card.width() - 32, name_height)
        large, small = counter_display_parts(panel.code, panel.name)
        subtitle_height = 0.0
        if large != panel.name:  # "Quầy 8 - Trả kết quả": "Quầy 8" bold, the rest smaller
            first = f"Quầy {large}"
            self._text(painter, name_area, first, name_font, ink)
            # The rest on a line of its own when the card has the height for it (it does for
            # up to 10 counters), else after the name, cut short.
            slack = card.height() - name_height - 6 - number_font.pixelSize() * 1.08
            if small and slack >= 22:
                subtitle_height = min(30.0, slack)
                width = name_area.width()
                self._text(painter, QRectF(name_area.x(), name_area.bottom() - 4, width,
                                           subtitle_height), small,
                           self._fit(small, min(24.0, subtitle_height * 0.8), 16, width), ink,
                           elide=True)
            elif small:
                offset = QFontMetricsF(name_font).horizontalAdvance(first + " ")
                self._text(painter, name_area.adjusted(offset, 0, 0, 0), small,
                           self._fonts.get(name_font.pixelSize() * 0.8), ink, elide=True)
        else:
            self._text(painter, name_area, panel.name, name_font, ink, elide=True)
        body = QRectF(card.x() + 10, card.y() + name_height + subtitle_height, card.width() - 20,
                      card.height() - name_height - subtitle_height - 6)
        if panel.number and not closed:
            colour = Colour.STALE if stale else Colour.ON_FLASH if lit else Colour.NUMBER
            self._text(painter, body, panel.number, number_font, colour,
                       Qt.AlignmentFlag.AlignHCenter)
            return
        status = counter_status_label(panel.status.value)
        if not status.vietnamese:
            self._text(painter, body, "—", status_font, Colour.DIM, Qt.AlignmentFlag.AlignHCenter)
            return
        half = body.height() / 2
        self._text(painter, QRectF(body.x(), body.y() + half * 0.15, body.width(), half * 0.9),
                   status.vietnamese, self._fit(status.vietnamese, status_font.pixelSize(), 18,
                                                body.width(), bold=True),
                   Colour.DIM, Qt.AlignmentFlag.AlignHCenter)
        self._text(painter, QRectF(body.x(), body.y() + half, body.width(), half * 0.8),
                   status.english, self._fonts.get(status_font.pixelSize() * 0.75), Colour.DIM,
                   Qt.AlignmentFlag.AlignHCenter, elide=True)

    def _paint_recent(self, painter: QPainter, now: float, stale: bool) -> None:
        area = Region.RECENT
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(Colour.PANEL)
        painter.drawRoundedRect(area, 18, 18)
        self._bilingual(painter, QRectF(area.x() + 28, area.y() + 16, area.width() - 56, 46),
                        RECENT_CALLS, 34, 26, Colour.TEXT, Colour.SOFT)
        calls = self.board.recent_calls
        limit = self.board.settings.recent_limit
        top = area.y() + 72
        row_height = (area.bottom() - 12 - top) / limit
        number_px = min(68.0, row_height * 0.78)
        counter_px = min(46.0, row_height * 0.55)
        newest = self.board.newest_call
        lit_id = (newest.ticket_id if newest is not None and not stale
                  and self.board.flash_lit(now) else None)
        if not calls:
            self._note(painter, QRectF(area.x() + 28, top, area.width() - 56, 84),
                       NO_RECENT_CALLS if self.board.has_data else NOT_YET_KNOWN, 30, 24)
        for index, call in enumerate(calls[:limit]):
            row = QRectF(area.x() + 12, top + index * row_height, area.width() - 24, row_height)
            lit = call.ticket_id == lit_id
            if lit:
                painter.setPen(Qt.PenStyle.NoPen)
                painter.setBrush(Colour.FLASH)
                painter.drawRoundedRect(row.adjusted(0, 2, 0, -2), 10, 10)
            elif index % 2:
                painter.fillRect(row.adjusted(0, 2, 0, -2), Colour.CARD.darker(115))
            number_colour = Colour.STALE if stale else Colour.ON_FLASH if lit else Colour.NUMBER
            self._text(painter, QRectF(row.x() + 18, row.y(), 250, row.height()), call.number,
                       self._fit(call.number, number_px, 30, 250, condensed=True), number_colour)
            counter_colour = Colour.STALE if stale else Colour.ON_FLASH if lit else Colour.COUNTER
            self._text(painter, QRectF(row.x() + 280, row.y(), row.width() - 298, row.height()),
                       f"➜ {_short_counter_name(call.counter, call.counter_name)}",
                       self._fonts.get(counter_px, bold=True), counter_colour,
                       Qt.AlignmentFlag.AlignRight, elide=True)

    def _paint_waiting(self, painter: QPainter, stale: bool) -> None:
        area = Region.WAITING
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(Colour.PANEL)
        painter.drawRoundedRect(area, 18, 18)
        self._bilingual(painter, QRectF(area.x() + 28, area.y() + 14, area.width() - 56, 46),
                        WAITING, 34, 26, Colour.TEXT, Colour.SOFT)
        top = area.y() + 66
        name_width = area.width() - 56 - 110
        name_font = self._fonts.get(WAITING_NAME_PX)
        wrapped_font = self._fonts.get(WAITING_WRAPPED_PX)
        # A name that does not fit one line at 30 px gets two lines at 25 px (a taller row),
        # so "Nộp hồ sơ cấp Giấy chứng nhận quyền sử dụng đất lần đầu" is read whole.
        lines = {queue.code: ([queue.name] if QFontMetricsF(name_font).horizontalAdvance(
            queue.name) <= name_width else self._wrap(queue.name, wrapped_font, name_width, 2))
            for queue in self.board.services}
        heights = {code: WAITING_ROW if len(text) == 1 else WAITING_WRAPPED_ROW
                   for code, text in lines.items()}
        shown, left_out = _waiting_rows(self.board.services, heights,
                                        area.bottom() - 8 - top)
        if not shown and not left_out:
            self._note(painter, QRectF(area.x() + 28, top, area.width() - 56, 84),
                       NOBODY_WAITING if self.board.has_data else NOT_YET_KNOWN, 30, 24)
            return
        count_font = self._fonts.get(40, bold=True)
        y = top
        for queue in shown:
            row = QRectF(area.x() + 28, y, area.width() - 56, heights[queue.code])
            text = lines[queue.code]
            if len(text) == 1:
                self._text(painter, QRectF(row.x(), row.y(), name_width, row.height()),
                           text[0], name_font, Colour.TEXT, elide=True)
            else:
                for index, line in enumerate(text):
                    self._text(painter, QRectF(row.x(), row.y() + 4 + 28 * index, name_width,
                                               28), line, wrapped_font, Colour.TEXT)
            self._text(painter, QRectF(row.right() - 110, row.y(), 110, row.height()),
                       str(queue.waiting), count_font,
                       Colour.STALE if stale else Colour.NUMBER, Qt.AlignmentFlag.AlignRight)
            y += row.height()
        if left_out:
            more = more_services(left_out)
            row = QRectF(area.x() + 28, y, area.width() - 56, WAITING_MORE_ROW)
            self._text(painter, row, f"{more.vietnamese} · {more.english}", self._fonts.get(26),
                       Colour.SOFT, elide=True)

    def _paint_notice(self, painter: QPainter, now: float) -> None:
        area = Region.NOTICE
        painter.fillRect(area, Colour.NOTICE)
        text = self._notice_text()
        font = self._fonts.get(42, bold=True)
        width = QFontMetricsF(font).horizontalAdvance(text)
        inner = area.adjusted(40, 0, -40, 0)
        painter.save()
        painter.setClipRect(area)
        if width <= inner.width():
            self._text(painter, inner, text, font, Colour.ON_NOTICE, Qt.AlignmentFlag.AlignHCenter)
        else:
            travel = width + area.width()
            # Starts with the text's beginning on screen, then scrolls left and comes back in.
            offset = ((now - self._notice_started) * NOTICE_SPEED + area.width() - 40) % travel
            x = area.right() - offset
            self._text(painter, QRectF(x, area.y(), width + 4, area.height()), text, font,
                       Colour.ON_NOTICE)
        painter.restore()

    # --- helpers -----------------------------------------------------------------------------

    def _scroll_notice(self) -> None:
        self.refresh_region(Region.NOTICE)

    def _notice_text(self) -> str:
        """The site's notice, else its name, else a welcome: the strip is never empty."""
        site = self.board.site
        return site.notice or site.name or f"{WELCOME.vietnamese} · {WELCOME.english}"

    def _update_notice_timer(self) -> None:
        text = self._notice_text()
        scrolls = (QFontMetricsF(self._fonts.get(42, bold=True)).horizontalAdvance(text)
                   > Region.NOTICE.width() - 80)
        if scrolls and self.isVisible():
            if not self._notice_timer.isActive():
                self._notice_timer.start()
        else:
            self._notice_timer.stop()

    def _site_timezone(self) -> tzinfo:
        name = self.board.site.timezone
        if name != self._timezone_name:
            self._timezone_name = name
            try:
                self._timezone = ZoneInfo(name)
            except (ZoneInfoNotFoundError, ValueError):
                self._timezone = ZoneInfo("Asia/Ho_Chi_Minh")
        return self._timezone

    def _transform(self) -> QTransform:
        scale = min(self.width() / DESIGN_WIDTH, self.height() / DESIGN_HEIGHT)
        transform = QTransform()
        transform.translate((self.width() - DESIGN_WIDTH * scale) / 2,
                            (self.height() - DESIGN_HEIGHT * scale) / 2)
        transform.scale(scale, scale)
        return transform

    def _sample_ratio(self) -> float:
        return QFontMetricsF(self._fonts.get(100, condensed=True)).horizontalAdvance(
            _NUMBER_SAMPLE) / 100

    def _fit_size(self, text: str, largest: float, width: float, *, bold: bool = False,
                  condensed: bool = False) -> float:
        advance = QFontMetricsF(self._fonts.get(100, bold=bold, condensed=condensed)
                                ).horizontalAdvance(text)
        if advance <= 0:
            return largest
        return min(largest, math.floor(100 * width / advance))

    def _fit(self, text: str, largest: float, smallest: float, width: float, *,
             bold: bool = False, condensed: bool = False) -> QFont:
        """The largest font (``smallest``..``largest`` px) in which ``text`` fits ``width``."""
        size = max(smallest, self._fit_size(text, largest, width, bold=bold,
                                            condensed=condensed))
        return self._fonts.get(size, bold=bold, condensed=condensed)

    def _wrap(self, text: str, font: QFont, width: float, max_lines: int) -> list[str]:
        """``text`` broken at spaces into at most ``max_lines`` lines of ``width``; the last
        line is elided if the rest does not fit. Empty text gives no lines."""
        metrics = QFontMetricsF(font)
        lines: list[str] = []
        words = text.split()
        while words and len(lines) < max_lines:
            if len(lines) == max_lines - 1:
                lines.append(metrics.elidedText(" ".join(words), Qt.TextElideMode.ElideRight,
                                                width))
                break
            line = words.pop(0)
            while words and metrics.horizontalAdvance(f"{line} {words[0]}") <= width:
                line = f"{line} {words.pop(0)}"
            lines.append(metrics.elidedText(line, Qt.TextElideMode.ElideRight, width))
        return lines

    @contextlib.contextmanager
    def _recorded(self, part: str) -> Iterator[None]:
        """Keep the words painted inside the block as ``painted_texts[part]``."""
        self._recording = []
        try:
            yield
        finally:
            self.painted_texts[part] = tuple(self._recording)
            self._recording = None

    def _note(self, painter: QPainter, area: QRectF, label: Label, vietnamese_px: float,
              english_px: float,
              horizontal: Qt.AlignmentFlag = Qt.AlignmentFlag.AlignLeft) -> None:
        """A quiet two-line message (Vietnamese, then English under it) where a list is empty;
        each line shrinks to fit ``area``'s width before anything is cut."""
        half = area.height() / 2
        for text, top, size, bold in ((label.vietnamese, 0.0, vietnamese_px, True),
                                      (label.english, half, english_px, False)):
            self._text(painter, QRectF(area.x(), area.y() + top, area.width(), half), text,
                       self._fit(text, size, size * 0.6, area.width(), bold=bold), Colour.DIM,
                       horizontal, elide=True)

    def _bilingual(self, painter: QPainter, area: QRectF, label: Label, vietnamese_px: float,
                   english_px: float, colour: QColor, english_colour: QColor) -> None:
        """``VIETNAMESE · English`` on one baseline, Vietnamese larger and first."""
        first = self._fonts.get(vietnamese_px, bold=True)
        second = self._fonts.get(english_px)
        first_metrics = QFontMetricsF(first)
        baseline = area.y() + (area.height() + first_metrics.capHeight()) / 2
        painter.setFont(first)
        painter.setPen(colour)
        painter.drawText(QPointF(area.x(), baseline), label.vietnamese)
        if self._recording is not None:
            self._recording.append(label.vietnamese)
        if label.english:
            x = area.x() + first_metrics.horizontalAdvance(label.vietnamese + "  ")
            rest = QFontMetricsF(second).elidedText(f"· {label.english}",
                                                    Qt.TextElideMode.ElideRight,
                                                    area.right() - x)
            painter.setFont(second)
            painter.setPen(english_colour)
            painter.drawText(QPointF(x, baseline), rest)
            if self._recording is not None:
                self._recording.append(rest)

    def _text(self, painter: QPainter, area: QRectF, text: str, font: QFont, colour: QColor,
              horizontal: Qt.AlignmentFlag = Qt.AlignmentFlag.AlignLeft, *,
              elide: bool = False) -> None:
        """``text`` vertically centred in ``area`` (by cap height, so digits sit in the middle)."""
        if not text:
            return
        metrics = QFontMetricsF(font)
        if elide:
            text = metrics.elidedText(text, Qt.TextElideMode.ElideRight, area.width())
        width = metrics.horizontalAdvance(text)
        if horizontal & Qt.AlignmentFlag.AlignRight:
            x = area.right() - width
        elif horizontal & Qt.AlignmentFlag.AlignHCenter:
            x = area.x() + (area.width() - width) / 2
        else:
            x = area.x()
        baseline = area.y() + (area.height() + metrics.capHeight()) / 2
        painter.setFont(font)
        painter.setPen(colour)
        painter.drawText(QPointF(x, baseline), text)
        if self._recording is not None:
            self._recording.append(text)


def _short_counter_name(code: str, name: str) -> str:
    """``Quầy 8`` for ``Quầy 8 - Trả kết quả``; other names whole."""
    large, _ = counter_display_parts(code, name)
    return f"Quầy {large}" if large != name else name


def _counter_grid(count: int, area: QRectF, sample_ratio: float) -> tuple[int, int, float]:
    """(columns, rows, number pixel size) giving the counters' numbers the most room."""
    best = (1, count, 0.0)
    gap = 14.0
    for columns in range(1, count + 1):
        rows = math.ceil(count / columns)
        width = (area.width() - gap * (columns - 1)) / columns
        height = (area.height() - gap * (rows - 1)) / rows
        name_height = min(46.0, height * 0.3)
        size = min((height - name_height - 6) / 1.08, (width - 20) / sample_ratio, 150.0)
        if size > best[2]:
            best = (columns, rows, size)
    return best[0], best[1], math.floor(best[2])


def _waiting_rows(services: tuple[ServiceQueue, ...], heights: dict[str, float],
                  room: float) -> tuple[tuple[ServiceQueue, ...], int]:
    """The services to list and how many are left out: every service if their rows
    (``heights`` by code) fit ``room``, else those with someone waiting (configured order),
    cut to leave a line for "… and N more". The web display (renderWaiting) does the same."""
    def total(queues: tuple[ServiceQueue, ...]) -> float:
        return sum(heights[queue.code] for queue in queues)

    if total(services) <= room:
        return services, 0
    busy = tuple(queue for queue in services if queue.waiting > 0)
    if total(busy) <= room:
        return busy, 0
    shown: list[ServiceQueue] = []
    used = WAITING_MORE_ROW
    for queue in busy:
        if used + heights[queue.code] > room:
            break
        shown.append(queue)
        used += heights[queue.code]
    return tuple(shown), len(busy) - len(shown)
